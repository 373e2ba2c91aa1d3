"""The reference split: one config key, built once, handed to the model and the metrics."""
import json
from pathlib import Path

import pytest
from mmengine.config import Config

from alignflow.apis import prepare_reference_split
from alignflow.datasets import write_toy_dataset

CONFIGS = Path(__file__).resolve().parents[2] / 'configs' / 'alignflow'


@pytest.fixture(scope='module')
def target(tmp_path_factory):
    return write_toy_dataset(tmp_path_factory.mktemp('target') / 'toy', num_samples=24,
                             img_size=16, domain='target', seed=3)


def load(name, target, work_dir=None):
    cfg = Config.fromfile(str(CONFIGS / f'{name}.py'))
    cfg.reference_split.folder = str(target)
    cfg.reference_split.num_heldout = 8
    cfg.work_dir = None if work_dir is None else str(work_dir)
    return cfg


def test_a_sibling_changes_the_references_and_the_metric_together(target):
    five, ten = load('clinicdb_5shot', target), load('clinicdb_10shot', target)
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
        five = Config.fromfile(str(CONFIGS / f'{name}_5shot.py')).reference_split
        for shots, k in (('1', 1), ('10', 10), ('full', 'all')):
            split = Config.fromfile(str(CONFIGS / f'{name}_{shots}shot.py')).reference_split
            assert split == dict(five, k=k)
        assert five.k == 5 and five.seed == 0 and five.num_heldout == (
            30 if name == 'cvc300' else 100)


def test_the_split_is_recorded_once_and_a_resumed_run_keeps_it(target, tmp_path):
    cfg = load('clinicdb_5shot', target, tmp_path)
    split = prepare_reference_split(cfg)
    record = json.loads((tmp_path / 'reference_split.json').read_text())
    assert record['references'] == [str(p) for p in split.references]
    assert record['heldout'] == [str(p) for p in split.heldout]
    assert record['spec']['k'] == 5 and record['spec']['num_heldout'] == 8
    assert [p.name for p in tmp_path.iterdir()] == ['reference_split.json']
    resumed = load('clinicdb_5shot', target, tmp_path)
    resumed.resume = True
    prepare_reference_split(resumed)  # same split: fine
    moved = load('clinicdb_5shot', target, tmp_path)
    moved.resume, moved.reference_split.seed = True, 1
    with pytest.raises(ValueError, match='a resumed run must keep its references'):
        prepare_reference_split(moved)


def test_the_old_keys_get_an_error_that_says_what_to_write(target):
    cfg = load('clinicdb_5shot', target)
    cfg.model.references = dict(folder=str(target), k=5)
    cfg.val_evaluator.exclude_references = dict(k=5)
    with pytest.raises(ValueError, match=r'model.references and val_evaluator.'
                                         r'exclude_references are no longer read.*'
                                         r'reference_split = dict\(k=10\)'):
        prepare_reference_split(cfg)


def test_configs_without_a_split_are_left_alone():
    cfg = Config.fromfile(str(CONFIGS / 'polyp_stage1.py'))
    before = cfg.to_dict()
    assert prepare_reference_split(cfg) is None
    assert cfg.to_dict() == before
    cfg = Config(dict(reference_split=dict(k=5)))
    with pytest.raises(ValueError, match='reference_split has no folder'):
        prepare_reference_split(cfg)
