"""What build_runner fills in before the runner: a stage-1 metric's real images."""
from pathlib import Path

import pytest
from mmengine.config import Config

from alignflow.apis import load_config, prepare_reference_split
from alignflow.apis.runner import fill_real_images
from alignflow.datasets import write_toy_dataset
from alignflow.evaluation import GenerationMetric

CONFIGS = Path(__file__).resolve().parents[2] / 'configs' / 'alignflow'


@pytest.fixture(scope='module')
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp('data')
    return (write_toy_dataset(root / 'source', num_samples=6, img_size=16, seed=1),
            write_toy_dataset(root / 'target', num_samples=12, img_size=16, domain='target',
                              seed=2))


def generation_metric(cfg):
    return next(m for m in cfg.val_evaluator if m['type'] == 'GenerationMetric')


def test_a_stage1_metric_follows_the_data_root_override(folders):
    source, _ = folders
    cfg = load_config(str(CONFIGS / 'polyp_stage1_32.py'), cfg_options={
        f'{loader}.dataset.data_root': str(source)
        for loader in ('train_dataloader', 'val_dataloader')})
    assert generation_metric(cfg)['real'] is None
    fill_real_images(cfg)
    metric_cfg = dict(generation_metric(cfg))
    metric_cfg.pop('type')
    paths = GenerationMetric(**metric_cfg).real_paths()
    assert sorted(paths) == sorted((source / 'images').iterdir())


def test_a_stage2_metric_keeps_the_held_out_target_images(folders):
    _, target = folders
    cfg = Config.fromfile(str(CONFIGS / 'clinicdb_5shot_32.py'))
    cfg.reference_split.update(folder=str(target), num_heldout=4)
    cfg.work_dir = None
    split = prepare_reference_split(cfg)
    fill_real_images(cfg)
    assert cfg.val_evaluator.real == [str(p) for p in split.heldout]


def test_an_explicit_real_folder_is_kept_and_a_missing_source_is_named(folders, tmp_path):
    source, target = folders
    cfg = Config(dict(train_dataloader=dict(dataset=dict(type='PolypDataset',
                                                         data_root=str(source))),
                      val_evaluator=[dict(type='GenerationMetric', real=str(target))]))
    fill_real_images(cfg)
    assert cfg.val_evaluator[0]['real'] == str(target)
    # A stage-2 model with references set by hand is not compared with the source images.
    by_hand = Config(dict(cfg.to_dict(), model=dict(reference_images=['a.png']),
                          val_evaluator=[dict(type='GenerationMetric', real=None)]))
    fill_real_images(by_hand)
    assert by_hand.val_evaluator[0]['real'] is None
    bare = tmp_path / 'stage1_without_data.py'
    bare.write_text("val_evaluator = dict(type='GenerationMetric', real=None)\n")
    with pytest.raises(ValueError, match='stage1_without_data.py.*real=None'):
        fill_real_images(Config.fromfile(str(bare)))
