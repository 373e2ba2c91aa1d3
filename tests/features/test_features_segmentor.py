"""SegmentorEncoderFeatures: the encoder of a (random-initialised, tiny) mmseg UNet segmentor
checkpoint, compared with what mmseg itself computes from the same images."""
import pytest
import torch
from mmengine.registry import DefaultScope

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite compatibility layer)
from alignflow.features import SegmentorEncoderFeatures, global_pool
from alignflow.registry import FEATURE_EXTRACTORS, MODELS

MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
PREPROCESSORS = {
    'rgb': dict(mean=MEAN, std=STD, bgr_to_rgb=True),
    'bgr': dict(mean=MEAN, std=STD),  # mean/std then in BGR order
    'raw': dict(),  # mmseg's defaults: BGR in [0, 255]
}


def segmentor_cfg(preprocessor='rgb', base_channels=8, neck=False):
    """EncoderDecoder with a 3-stage UNet backbone (outputs of 4x, 2x, 1x base_channels),
    optionally followed by a neck mapping each to 8 channels."""
    bn = dict(type='BN')
    c = base_channels
    neck = dict(type='MultiLevelNeck', in_channels=[4 * c, 2 * c, c], out_channels=8,
                scales=[1, 1, 1]) if neck else None
    return dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', **PREPROCESSORS[preprocessor]),
        backbone=dict(type='UNet', in_channels=3, base_channels=base_channels, num_stages=3,
                      strides=(1, 1, 1), enc_num_convs=(1, 1, 1), dec_num_convs=(1, 1),
                      downsamples=(True, True), enc_dilations=(1, 1, 1), dec_dilations=(1, 1),
                      norm_cfg=bn),
        neck=neck,
        decode_head=dict(type='FCNHead', in_channels=base_channels, in_index=-1, channels=8,
                         num_convs=1, concat_input=False, num_classes=2, norm_cfg=bn))


def build_segmentor(seed, **kwargs):
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('alignflow'):
        return MODELS.build(segmentor_cfg(**kwargs)).eval()


def save(segmentor, path, rename=lambda k: k):
    torch.save({'meta': {}, 'state_dict': {rename(k): v
                                           for k, v in segmentor.state_dict().items()}}, path)
    return str(path)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A seed-0 segmentor and its checkpoint."""
    segmentor = build_segmentor(0)
    return segmentor, save(segmentor, tmp_path_factory.mktemp('seg') / 'iter_10.pth')


def rgb_uint8(n=2, size=16):
    return torch.randint(0, 256, (n, 3, size, size), generator=torch.Generator().manual_seed(1))


def mmseg_features(segmentor, rgb, levels):
    """What mmseg computes: BGR uint8 images -> data_preprocessor -> extract_feat -> pool."""
    with torch.no_grad():
        inputs = segmentor.data_preprocessor(dict(inputs=list(rgb.flip(1))))['inputs']
        maps = segmentor.extract_feat(inputs)
    return global_pool([maps[i] for i in levels], 'mean')


@pytest.mark.parametrize('preprocessor', PREPROCESSORS)
def test_features_equal_mmseg_on_the_loaded_weights(preprocessor, tmp_path):
    segmentor = build_segmentor(0, preprocessor=preprocessor)
    path = save(segmentor, tmp_path / 'seg.pth')
    torch.manual_seed(1)  # the extractor's own initialisation is a seed-1 one
    extractor = SegmentorEncoderFeatures(segmentor_cfg(preprocessor), path, levels=(0, 1, 2))
    rgb = rgb_uint8()
    features = extractor(rgb / 127.5 - 1)
    assert extractor.feature_dim == 32 + 16 + 8 and features.shape == (2, 56)
    torch.testing.assert_close(features, mmseg_features(segmentor, rgb, (0, 1, 2)))
    unloaded = mmseg_features(build_segmentor(1, preprocessor=preprocessor), rgb, (0, 1, 2))
    assert not torch.allclose(features, unloaded, atol=1e-3)


def test_a_neck_is_part_of_the_encoder(tmp_path):
    segmentor = build_segmentor(0, neck=True)
    path = save(segmentor, tmp_path / 'neck.pth')
    extractor = SegmentorEncoderFeatures(segmentor_cfg(neck=True), path, levels=(0, 1, 2))
    assert extractor.feature_dim == 3 * 8
    rgb = rgb_uint8()
    torch.testing.assert_close(extractor(rgb / 127.5 - 1),
                               mmseg_features(segmentor, rgb, (0, 1, 2)))


def test_normalisation_of_mid_grey_and_red(trained, tmp_path):
    grey = torch.zeros(1, 3, 2, 2)
    red = torch.tensor([1.0, -1.0, -1.0]).view(1, 3, 1, 1)
    mean, std = torch.tensor(MEAN), torch.tensor(STD)
    rgb = SegmentorEncoderFeatures(segmentor_cfg('rgb'), trained[1])
    torch.testing.assert_close(rgb.normalise(grey)[0, :, 0, 0], (127.5 - mean) / std)
    torch.testing.assert_close(rgb.normalise(red)[0, :, 0, 0],
                               (torch.tensor([255.0, 0, 0]) - mean) / std)
    bgr = SegmentorEncoderFeatures(segmentor_cfg('bgr'), trained[1])
    torch.testing.assert_close(bgr.normalise(red)[0, :, 0, 0],
                               (torch.tensor([0, 0, 255.0]) - mean) / std)


def test_frozen_with_gradients_to_the_images(trained):
    extractor = SegmentorEncoderFeatures(segmentor_cfg(), trained[1], pool='mean_std')
    assert extractor.feature_dim == 2 * 8
    assert not any(p.requires_grad for p in extractor.parameters())
    assert not extractor.train().training
    images = (rgb_uint8() / 127.5 - 1).requires_grad_()
    extractor(images).pow(2).sum().backward()
    assert torch.isfinite(images.grad).all() and images.grad.abs().sum() > 0


def test_checkpoint_errors_name_the_file(trained, tmp_path):
    segmentor = trained[0]
    dropped = 'backbone.encoder.0.0.convs.0.conv.weight'
    path = save(segmentor, tmp_path / 'dropped.pth', lambda k: 'x' if k == dropped else k)
    with pytest.raises(ValueError, match=rf'dropped\.pth.*missing {dropped}'):
        SegmentorEncoderFeatures(segmentor_cfg(), path)
    path = save(segmentor, tmp_path / 'renamed.pth', lambda k: k.replace('backbone.', 'enc.'))
    with pytest.raises(ValueError, match=r'renamed\.pth.*missing backbone\.'):
        SegmentorEncoderFeatures(segmentor_cfg(), path)
    with pytest.raises(RuntimeError, match=r'iter_10\.pth'):
        SegmentorEncoderFeatures(segmentor_cfg(base_channels=16), trained[1])
    with pytest.raises(ValueError, match='levels'):
        SegmentorEncoderFeatures(segmentor_cfg(), trained[1], levels=(3, ))


def test_built_from_the_registry_with_an_mmseg_config_file(trained, tmp_path):
    config = tmp_path / 'unet_tiny.py'
    config.write_text(f'model = {segmentor_cfg()!r}\n')
    images = rgb_uint8() / 127.5 - 1
    from_file = FEATURE_EXTRACTORS.build(dict(type='SegmentorEncoderFeatures',
                                              segmentor=str(config), checkpoint=trained[1]))
    torch.testing.assert_close(from_file(images),
                               SegmentorEncoderFeatures(segmentor_cfg(), trained[1])(images))
