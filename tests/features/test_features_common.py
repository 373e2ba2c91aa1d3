"""Contract shared by every feature extractor: shape, frozen, eval, input gradients, registry."""
import pytest
import torch

import alignflow  # noqa: F401
from alignflow.features import FeatureExtractor
from alignflow.registry import FEATURE_EXTRACTORS

CONFIGS = [
    dict(type='FIDInceptionV3', random_init=True),
    dict(type='DINOViTFeatures', random_init=True, input_size=32),
    dict(type='LowLevelStatistics'),
    dict(type='RandomConvFeatures', seed=3, pool='mean_std'),
    dict(type='UNetEncoderFeatures', levels=(0, -1), pool='mean_std'),  # + tiny_unet_cfg
    dict(type='ConcatenatedFeatures', extractors=[
        dict(type='LowLevelStatistics'), dict(type='RandomConvFeatures', seed=3)]),
]


@pytest.fixture(scope='module', params=CONFIGS, ids=lambda cfg: cfg['type'])
def extractor(request, tiny_unet_cfg):
    cfg = dict(request.param)
    if cfg['type'] == 'UNetEncoderFeatures':
        cfg['unet'] = tiny_unet_cfg
    torch.manual_seed(0)
    model = FEATURE_EXTRACTORS.build(cfg)
    assert isinstance(model, FeatureExtractor)
    assert type(model).__name__ == request.param['type']
    return model


def test_output_shape_and_dim(extractor):
    images = torch.rand(2, 3, 32, 32) * 2 - 1
    features = extractor(images)
    assert features.shape == (2, extractor.feature_dim)
    assert torch.isfinite(features).all()


def test_frozen_and_stays_in_eval(extractor):
    assert all(not p.requires_grad for p in extractor.parameters())
    assert extractor.train() is extractor
    assert not any(m.training for m in extractor.modules())
    extractor.train(True)
    assert not extractor.training


def test_gradient_reaches_images(extractor):
    images = (torch.rand(1, 3, 32, 32) * 2.2 - 1.1).requires_grad_(True)
    features = extractor(images)
    weights = torch.randn(features.shape, generator=torch.Generator().manual_seed(0))
    (features * weights).sum().backward()
    assert torch.isfinite(images.grad).all()
    assert images.grad.abs().sum() > 0
    assert all(p.grad is None for p in extractor.parameters())


def test_rejects_non_rgb(extractor):
    with pytest.raises(ValueError, match='RGB'):
        extractor(torch.zeros(1, 1, 32, 32))
