"""Segmentor configs made ready to run: the top-level synthetic_mix and missing weights."""
import json

import pytest
from mmengine.config import Config

from alignflow.apis import segmentation
from alignflow.apis.segmentation import apply_synthetic_mix, drop_missing_pretrained
from alignflow.datasets import write_toy_dataset

PIPELINE = [dict(type='LoadCheckedImage'), dict(type='LoadBinaryMask'),
            dict(type='Resize', scale=(16, 16), keep_ratio=False), dict(type='PackSegInputs')]


def seg_cfg(real, **mix):
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='PolypDataset', data_root=str(real), pipeline=PIPELINE))))
    if mix:
        cfg.synthetic_mix = mix
    return cfg


@pytest.fixture(scope='module')
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp('mix')
    real = write_toy_dataset(root / 'real', num_samples=4, img_size=16, domain='target', seed=0)
    synthetic = write_toy_dataset(root / 'syn', num_samples=4, img_size=16, seed=1)
    (synthetic / 'synthesis.json').write_text(json.dumps(dict(size=[16, 16], num=4)))
    return real, synthetic


def test_a_synthetic_mix_wraps_the_training_set(folders):
    real, synthetic = folders
    cfg = seg_cfg(real, data_root=str(synthetic), synthetic_ratio=0.5)
    apply_synthetic_mix(cfg)
    dataset = cfg.train_dataloader.dataset
    assert dataset.type == 'RealSyntheticMix' and dataset.synthetic_ratio == 0.5
    assert dataset.real.data_root == str(real) and dataset.synthetic.data_root == str(synthetic)
    untouched = seg_cfg(real)
    apply_synthetic_mix(untouched)
    assert untouched.train_dataloader.dataset.type == 'PolypDataset'


@pytest.mark.parametrize('mix, message', [
    (dict(synthetic_ratio=1.0), 'needs data_root'),
    (dict(ratio=1.0, data_root='x'), "unknown keys \\['ratio'\\]"),
    (dict(data_root='SYN', synthetic_ratio=-0.5), 'synthetic_ratio must be a number >= 0'),
    (dict(data_root='/nowhere/syn'), 'no synthesis.json'),
])
def test_a_bad_synthetic_mix_is_refused_before_training(folders, mix, message):
    real, synthetic = folders
    mix = {k: (str(synthetic) if v == 'SYN' else v) for k, v in mix.items()}
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        apply_synthetic_mix(seg_cfg(real, **mix))


def test_pairs_painted_at_another_size_are_refused(folders, tmp_path):
    real, _ = folders
    other = write_toy_dataset(tmp_path / 'syn32', num_samples=2, img_size=32, seed=2)
    (other / 'synthesis.json').write_text(json.dumps(dict(size=[32, 32])))
    with pytest.raises(ValueError, match='32x32 px but .* trains at 16x16'):
        apply_synthetic_mix(seg_cfg(real, data_root=str(other)))


def test_missing_pretrained_weights_are_dropped_with_a_warning(tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(segmentation, 'print_log', lambda msg, **kwargs: warnings.append(msg))
    present = tmp_path / 'mit_b0.pth'
    present.write_bytes(b'')
    cfg = Config(dict(model=dict(
        type='EncoderDecoder', pretrained=str(tmp_path / 'gone.pth'),
        backbone=dict(type='MixVisionTransformer',
                      init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'no.pth'))),
        decode_head=dict(init_cfg=dict(type='Pretrained', checkpoint=str(present))),
        auxiliary_head=dict(init_cfg=dict(type='Pretrained', checkpoint='https://x/y.pth')))))
    drop_missing_pretrained(cfg)
    assert cfg.model.pretrained is None and cfg.model.backbone.init_cfg is None
    assert cfg.model.decode_head.init_cfg.checkpoint == str(present)
    assert cfg.model.auxiliary_head.init_cfg.checkpoint == 'https://x/y.pth'
    assert len(warnings) == 2 and 'no.pth not found' in warnings[1]
