"""UNetEncoderFeatures (checkpoint loading, EMA) and RandomConvFeatures (seeding)."""
import pytest
import torch
from mmengine.model import ExponentialMovingAverage

import alignflow  # noqa: F401
from alignflow.features import RandomConvFeatures, UNetEncoderFeatures, global_pool
from alignflow.registry import MODELS


@pytest.fixture
def flow(tiny_unet_cfg):
    torch.manual_seed(0)
    return MODELS.build(dict(type='MaskConditionedFlow', velocity_net=tiny_unet_cfg))


def _images(n=2, size=16):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(1)) * 2 - 1


def _reference(unet, images, levels=(-1, ), pool='mean'):
    with torch.no_grad():
        maps = unet.eval().forward_features(images, 1.0, None)
        return global_pool([maps[i] for i in levels], pool)


def test_loads_mask_conditioned_flow_checkpoint(flow, tiny_unet_cfg, tmp_path):
    path = tmp_path / 'iter_100.pth'
    torch.save({'meta': {}, 'state_dict': flow.state_dict()}, path)
    assert any(k.startswith('velocity_net.') for k in flow.state_dict())
    torch.manual_seed(123)  # a differently initialised U-Net before loading
    extractor = UNetEncoderFeatures(tiny_unet_cfg, checkpoint=str(path), levels=(0, 1, 2))
    images = _images()
    expected = _reference(flow.velocity_net, images, levels=(0, 1, 2))
    assert extractor.feature_dim == 16 + 32 + 32
    torch.testing.assert_close(extractor(images), expected)


def test_loads_ema_weights(flow, tiny_unet_cfg, tmp_path):
    ema = ExponentialMovingAverage(flow, momentum=0.5)
    ema.update_parameters(flow)  # the first update copies the weights
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.1)
    ema.update_parameters(flow)  # now halfway between the old and the new weights
    ema_state = ema.state_dict()
    assert any(k.startswith('module.velocity_net.') for k in ema_state)
    path = tmp_path / 'ema.pth'
    torch.save({'state_dict': flow.state_dict(), 'ema_state_dict': ema_state}, path)
    images = _images()
    averaged = UNetEncoderFeatures(tiny_unet_cfg, checkpoint=str(path), use_ema=True)
    raw = UNetEncoderFeatures(tiny_unet_cfg, checkpoint=str(path))
    torch.testing.assert_close(averaged(images), _reference(ema.module.velocity_net, images))
    torch.testing.assert_close(raw(images), _reference(flow.velocity_net, images))
    assert not torch.allclose(averaged(images), raw(images))


def test_checkpoint_errors_name_the_file(flow, tiny_unet_cfg, tmp_path):
    path = tmp_path / 'plain.pth'
    torch.save({'state_dict': flow.state_dict()}, path)
    with pytest.raises(ValueError, match='ema_state_dict'):
        UNetEncoderFeatures(tiny_unet_cfg, checkpoint=str(path), use_ema=True)
    wider = dict(tiny_unet_cfg, base_channels=24)
    with pytest.raises(RuntimeError, match='plain.pth'):
        UNetEncoderFeatures(wider, checkpoint=str(path))
    with pytest.raises(ValueError, match='levels'):
        UNetEncoderFeatures(tiny_unet_cfg, levels=(3, ))


def test_unet_module_is_copied_not_frozen(flow):
    extractor = UNetEncoderFeatures(flow.velocity_net, pool='mean_std')
    assert all(p.requires_grad for p in flow.velocity_net.parameters())
    assert extractor.feature_dim == 2 * 32
    torch.testing.assert_close(extractor(_images()),
                               _reference(flow.velocity_net, _images(), pool='mean_std'))


def test_random_conv_features_are_seeded():
    images = _images(size=32)
    same = RandomConvFeatures(seed=7)(images), RandomConvFeatures(seed=7)(images)
    torch.testing.assert_close(*same, rtol=0, atol=0)
    other = RandomConvFeatures(seed=8)(images)
    assert not torch.allclose(same[0], other)
    assert RandomConvFeatures(widths=(8, 16)).feature_dim == 24
    with pytest.raises(ValueError, match='pool'):
        RandomConvFeatures(pool='max')
