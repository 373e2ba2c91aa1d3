"""What a config becomes before its runner: each resolver's rewrite, and their order."""
import json
from pathlib import Path

import pytest
from mmengine.config import Config

from alignflow.apis import config_resolution, load_config
from alignflow.apis.config_resolution import (RESOLVERS, apply_synthetic_mix,
                                              drop_missing_pretrained, fill_c2st_source,
                                              fill_real_images, prepare_reference_split,
                                              resolve_config)
from alignflow.datasets import write_toy_dataset
from alignflow.evaluation import GenerationMetric

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
PIPELINE = [dict(type='LoadCheckedImage'), dict(type='LoadBinaryMask'),
            dict(type='Resize', scale=(16, 16), keep_ratio=False), dict(type='PackSegInputs')]


@pytest.fixture(scope='module')
def folders(tmp_path_factory):
    """(source, target, synthetic): toy folders; the target holds 24 images."""
    root = tmp_path_factory.mktemp('data')
    synthetic = write_toy_dataset(root / 'syn', num_samples=4, img_size=16, seed=1)
    (synthetic / 'synthesis.json').write_text(json.dumps(dict(size=[16, 16], num=4)))
    return (write_toy_dataset(root / 'source', num_samples=6, img_size=16, seed=1),
            write_toy_dataset(root / 'target', num_samples=24, img_size=16, domain='target',
                              seed=3),
            synthetic)


def stage2(name, target, work_dir=None):
    cfg = Config.fromfile(str(CONFIGS / 'stage2' / f'{name}.py'))
    cfg.reference_split.folder = str(target)
    cfg.reference_split.num_heldout = 8
    cfg.work_dir = None if work_dir is None else str(work_dir)
    return cfg


def seg_cfg(real, **mix):
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='PolypDataset', data_root=str(real), pipeline=PIPELINE))))
    if mix:
        cfg.synthetic_mix = mix
    return cfg


def generation_metric(cfg):
    return next(m for m in cfg.val_evaluator if m['type'] == 'GenerationMetric')


def test_resolve_config_applies_the_resolvers_once_in_order(monkeypatch):
    assert [r.__name__ for r in RESOLVERS] == [
        'prepare_reference_split', 'fill_real_images', 'fill_c2st_source',
        'apply_synthetic_mix', 'drop_missing_pretrained']
    calls = []
    monkeypatch.setattr(config_resolution, 'RESOLVERS', tuple(
        (lambda cfg, name=r.__name__: calls.append((name, cfg))) for r in RESOLVERS))
    cfg = Config(dict())
    resolve_config(cfg)
    assert calls == [(r.__name__, cfg) for r in RESOLVERS]


def test_resolving_a_stage2_config_keeps_its_metrics_on_the_target(folders):
    """The split fills ``real`` first; the C2ST source is the real training set, read before
    a synthetic mix would replace it."""
    source, target, synthetic = folders
    cfg = stage2('stage2_clinicdb_5shot_64px', target)
    cfg.train_dataloader.dataset.data_root = str(source)
    cfg.synthetic_mix = dict(data_root=str(synthetic))
    cfg.train_dataloader.dataset.pipeline = PIPELINE
    resolve_config(cfg)
    assert not set(cfg.val_evaluator.real) & set(cfg.model.reference_images)
    assert cfg.val_evaluator.c2st_source.data_root == str(source)
    assert cfg.val_evaluator.c2st_source.type != 'RealSyntheticMix'
    assert cfg.train_dataloader.dataset.type == 'RealSyntheticMix'


# 1. prepare_reference_split

def test_a_sibling_changes_the_references_and_the_metric_together(folders):
    _, target, _ = folders
    five = stage2('stage2_clinicdb_5shot_64px', target)
    ten = stage2('stage2_clinicdb_10shot_64px', target)
    splits = [prepare_reference_split(cfg) for cfg in (five, ten)]
    for cfg, split, k in zip((five, ten), splits, (5, 10)):
        assert cfg.model.reference_images == [str(p) for p in split.references]
        assert len(split.references) == k
        for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
            assert evaluator.real == [str(p) for p in split.heldout]
            assert not set(evaluator.real) & set(cfg.model.reference_images)
    assert splits[0].heldout == splits[1].heldout  # one fixed evaluation set for every k
    assert splits[0].references != splits[1].references


def test_every_polyp_target_and_shot_count_says_only_what_differs():
    for name in ('kvasir', 'clinicdb', 'colondb', 'etis', 'cvc300'):
        five = Config.fromfile(str(CONFIGS / f'stage2/stage2_{name}_5shot_64px.py')).reference_split
        for shots, k in (('1', 1), ('10', 10), ('full', 'all')):
            split = Config.fromfile(
                str(CONFIGS / f'stage2/stage2_{name}_{shots}shot_64px.py')).reference_split
            assert split == dict(five, k=k)
        assert five.k == 5 and five.seed == 0 and five.num_heldout == (
            30 if name == 'cvc300' else 100)


def test_the_split_is_recorded_once_and_a_resumed_run_keeps_it(folders, tmp_path):
    _, target, _ = folders
    cfg = stage2('stage2_clinicdb_5shot_64px', target, tmp_path)
    split = prepare_reference_split(cfg)
    record = json.loads((tmp_path / 'reference_split.json').read_text())
    assert record['references'] == [str(p) for p in split.references]
    assert record['heldout'] == [str(p) for p in split.heldout]
    assert record['spec']['k'] == 5 and record['spec']['num_heldout'] == 8
    assert [p.name for p in tmp_path.iterdir()] == ['reference_split.json']
    resumed = stage2('stage2_clinicdb_5shot_64px', target, tmp_path)
    resumed.resume = True
    prepare_reference_split(resumed)  # same split: fine
    moved = stage2('stage2_clinicdb_5shot_64px', target, tmp_path)
    moved.resume, moved.reference_split.seed = True, 1
    with pytest.raises(ValueError, match='a resumed run must keep its references'):
        prepare_reference_split(moved)


def test_the_old_keys_get_an_error_that_says_what_to_write(folders):
    _, target, _ = folders
    cfg = stage2('stage2_clinicdb_5shot_64px', target)
    cfg.model.references = dict(folder=str(target), k=5)
    cfg.val_evaluator.exclude_references = dict(k=5)
    with pytest.raises(ValueError, match=r'model.references and val_evaluator.'
                                         r'exclude_references are no longer read.*'
                                         r'reference_split = dict\(k=10\)'):
        prepare_reference_split(cfg)


def test_configs_without_a_split_are_left_alone():
    cfg = Config.fromfile(str(CONFIGS / 'stage1/stage1_polyp_64px.py'))
    before = cfg.to_dict()
    assert prepare_reference_split(cfg) is None
    assert cfg.to_dict() == before
    cfg = Config(dict(reference_split=dict(k=5)))
    with pytest.raises(ValueError, match='reference_split has no folder'):
        prepare_reference_split(cfg)


# 2. fill_real_images

def test_a_stage1_metric_follows_the_data_root_override(folders):
    source, _, _ = folders
    cfg = load_config(str(CONFIGS / 'stage1/stage1_polyp_32px-3k.py'), cfg_options={
        f'{loader}.dataset.data_root': str(source)
        for loader in ('train_dataloader', 'val_dataloader')})
    assert generation_metric(cfg)['real'] is None
    fill_real_images(cfg)
    metric_cfg = dict(generation_metric(cfg))
    metric_cfg.pop('type')
    paths = GenerationMetric(**metric_cfg).real_paths()
    assert sorted(paths) == sorted((source / 'images').iterdir())


def test_a_stage2_metric_keeps_the_held_out_target_images(folders):
    _, target, _ = folders
    cfg = Config.fromfile(str(CONFIGS / 'stage2/stage2_clinicdb_5shot_32px.py'))
    cfg.reference_split.update(folder=str(target), num_heldout=4)
    cfg.work_dir = None
    split = prepare_reference_split(cfg)
    fill_real_images(cfg)
    assert cfg.val_evaluator.real == [str(p) for p in split.heldout]


def test_an_explicit_real_folder_is_kept_and_a_missing_source_is_named(folders, tmp_path):
    source, target, _ = folders
    cfg = Config(dict(train_dataloader=dict(dataset=dict(type='PolypDataset',
                                                         data_root=str(source))),
                      val_evaluator=[dict(type='GenerationMetric', real=str(target))]))
    before = cfg.to_dict()
    fill_real_images(cfg)
    assert cfg.to_dict() == before
    # A stage-2 model with references set by hand is not compared with the source images.
    by_hand = Config(dict(cfg.to_dict(), model=dict(reference_images=['a.png']),
                          val_evaluator=[dict(type='GenerationMetric', real=None)]))
    fill_real_images(by_hand)
    assert by_hand.val_evaluator[0]['real'] is None
    bare = tmp_path / 'stage1_without_data.py'
    bare.write_text("val_evaluator = dict(type='GenerationMetric', real=None)\n")
    with pytest.raises(ValueError, match='stage1_without_data.py.*real=None'):
        fill_real_images(Config.fromfile(str(bare)))


# 3. fill_c2st_source

def test_a_c2st_metric_without_a_source_gets_the_training_images(folders):
    source, target, _ = folders
    dataset = dict(type='PolypDataset', data_root=str(source), pipeline=PIPELINE)
    c2st = dict(type='GenerationMetric', real=str(target), measures=('kid', 'c2st'),
                c2st_source=None)
    cfg = Config(dict(train_dataloader=dict(dataset=dataset),
                      val_evaluator=dict(metrics=[c2st, dict(type='IoUMetric')]),
                      test_evaluator=dict(c2st, c2st_source='given')))
    fill_c2st_source(cfg)
    assert cfg.val_evaluator.metrics[0]['c2st_source'] == dict(dataset, pipeline=[])
    assert cfg.val_evaluator.metrics[1] == dict(type='IoUMetric')
    assert cfg.test_evaluator.c2st_source == 'given'
    bare = Config(dict(val_evaluator=c2st))
    with pytest.raises(ValueError, match='c2st_source=None'):
        fill_c2st_source(bare)


def test_metrics_without_c2st_are_left_alone(folders):
    source, target, _ = folders
    cfg = Config(dict(train_dataloader=dict(dataset=dict(type='PolypDataset',
                                                         data_root=str(source))),
                      val_evaluator=dict(type='GenerationMetric', real=str(target),
                                         measures=('kid', 'mmd'))))
    before = cfg.to_dict()
    fill_c2st_source(cfg)
    assert cfg.to_dict() == before


# 4. apply_synthetic_mix

def test_a_synthetic_mix_wraps_the_training_set(folders):
    real, _, synthetic = folders
    cfg = seg_cfg(real, data_root=str(synthetic), synthetic_ratio=0.5)
    apply_synthetic_mix(cfg)
    dataset = cfg.train_dataloader.dataset
    assert dataset.type == 'RealSyntheticMix' and dataset.synthetic_ratio == 0.5
    assert dataset.real.data_root == str(real) and dataset.synthetic.data_root == str(synthetic)
    untouched = seg_cfg(real)
    before = untouched.to_dict()
    apply_synthetic_mix(untouched)
    assert untouched.train_dataloader.dataset.type == 'PolypDataset'
    assert untouched.to_dict() == before


@pytest.mark.parametrize('mix, message', [
    (dict(synthetic_ratio=1.0), 'needs data_root'),
    (dict(ratio=1.0, data_root='x'), "unknown keys \\['ratio'\\]"),
    (dict(data_root='SYN', synthetic_ratio=-0.5), 'synthetic_ratio must be a number >= 0'),
    (dict(data_root='/nowhere/syn'), 'no synthesis.json'),
])
def test_a_bad_synthetic_mix_is_refused_before_training(folders, mix, message):
    real, _, synthetic = folders
    mix = {k: (str(synthetic) if v == 'SYN' else v) for k, v in mix.items()}
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        apply_synthetic_mix(seg_cfg(real, **mix))


def test_pairs_painted_at_another_size_are_refused(folders, tmp_path):
    real, _, _ = folders
    other = write_toy_dataset(tmp_path / 'syn32', num_samples=2, img_size=32, seed=2)
    (other / 'synthesis.json').write_text(json.dumps(dict(size=[32, 32])))
    with pytest.raises(ValueError, match='32x32 px but .* trains at 16x16'):
        apply_synthetic_mix(seg_cfg(real, data_root=str(other)))


# 5. drop_missing_pretrained

def test_missing_pretrained_weights_are_dropped_with_a_warning(tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(config_resolution, 'print_log',
                        lambda msg, **kwargs: warnings.append(msg))
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


def test_weights_on_disk_or_at_a_url_are_left_alone(tmp_path):
    present = tmp_path / 'mit_b0.pth'
    present.write_bytes(b'')
    cfg = Config(dict(model=dict(
        type='EncoderDecoder', pretrained=None,
        backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=str(present))),
        decode_head=dict(init_cfg=dict(type='Pretrained', checkpoint='https://x/y.pth')))))
    before = cfg.to_dict()
    drop_missing_pretrained(cfg)
    assert cfg.to_dict() == before
