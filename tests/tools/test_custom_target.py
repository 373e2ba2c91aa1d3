"""Your own hospital: stage2_custom_5shot_{32,64}px.py align a polyp stage 1 to a folder of
exactly the few frames a user has (here 1; five frames run in tests/test_doc_commands.py, as the
user guide's commands), validate on the references alone, and refuse references or held-out
images that are also source images."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

from alignflow.apis.config_resolution import prepare_reference_split
from alignflow.datasets.overlap import OverlapError
from polyp_folders import write_polyp_folder

REPO = Path(__file__).resolve().parents[2]
CUSTOM = 'configs/stage2/stage2_custom_5shot_64px.py'
TINY = ['base_channels=16', 'num_heads=2']
LOADER = ['batch_size=4', 'num_workers=0', 'persistent_workers=False']


def train(config, work_dir, options):
    command = [sys.executable, 'tools/train.py', config, '--work-dir', str(work_dir),
               '--cfg-options', 'default_hooks.logger.interval=1', 'train_cfg.max_iters=2',
               'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
               'custom_hooks.1.interval=2', *options]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return next(work_dir.glob('*/*.log')).read_text() + result.stdout + result.stderr


def source_options(source):
    return [f'{loader}.{o}' for loader in ('train_dataloader', 'val_dataloader')
            for o in [f'dataset.data_root={source}', *LOADER]]


@pytest.fixture(scope='module')
def source(tmp_path_factory):
    return write_polyp_folder(tmp_path_factory.mktemp('source'), 8, seed=0)


@pytest.fixture(scope='module')
def stage1(source, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('stage1_polyp_64px')
    train('configs/stage1/stage1_polyp_64px.py', work_dir, [
        *source_options(source), *(f'model.velocity_net.{o}' for o in TINY),
        'model.solver.num_steps=4', 'val_dataloader.dataset.indices=4'])
    return work_dir / 'iter_2.pth'


def align(source, stage1, target, work_dir):
    return train(CUSTOM, work_dir, [
        *source_options(source), f'model.stage1_checkpoint={stage1}',
        f'reference_split.folder={target}', 'val_dataloader.dataset.indices=8',
        *(f'model.generator.velocity_net.{o}' for o in TINY),
        'model.generator.solver.num_steps=4', 'model.num_steps=4', 'model.grad_last_k=2'])


def test_one_frame_aligns_with_the_noise_stated(source, stage1, tmp_path):
    target = write_polyp_folder(tmp_path / 'one_frame', 1, seed=2, tint=(150, 90, 60),
                                masks=False)
    log = align(source, stage1, target / 'images', tmp_path / 'work')
    assert 'refcheck/mmd:' in log and 'refcheck/loo_ratio' not in log
    assert 'no leave-one-out floor' in log and 'one reference image' in log
    assert 'the diversity guard is off' in log
    assert 'alignment UNSURE' in log and 'no source-vs-references classifier' in log


def test_a_renamed_copy_of_a_source_image_is_refused(source, tmp_path):
    target = write_polyp_folder(tmp_path / 'my_hospital', 4, seed=3, masks=False)
    shutil.copy(source / 'images' / '005.png', target / 'images' / 'frame_from_ward_b.png')
    cfg = Config.fromfile(str(REPO / CUSTOM))
    cfg.merge_from_dict({'reference_split.folder': str(target),
                         'train_dataloader.dataset.data_root': str(source)})
    with pytest.raises(OverlapError, match=r'frame_from_ward_b\.png = .*005\.png'):
        prepare_reference_split(cfg)


def test_held_out_target_images_in_the_source_are_refused(source, tmp_path):
    cfg = Config.fromfile(str(REPO / 'configs/stage2/stage2_clinicdb_5shot_64px.py'))
    cfg.merge_from_dict({'reference_split.folder': str(source), 'reference_split.num_heldout': 3,
                         'train_dataloader.dataset.data_root': str(source)})
    with pytest.raises(OverlapError, match='reference images also sit in the source set'):
        prepare_reference_split(cfg)


def test_a_folder_without_held_out_images_names_the_reference_only_metric(tmp_path):
    target = write_polyp_folder(tmp_path / 'frames', 3, seed=4, masks=False)
    cfg = Config.fromfile(str(REPO / 'configs/stage2/stage2_clinicdb_5shot_64px.py'))
    cfg.merge_from_dict({'reference_split.folder': str(target), 'reference_split.k': 'all',
                         'reference_split.num_heldout': None,
                         'train_dataloader.dataset.data_root': str(tmp_path / 'absent')})
    with pytest.raises(ValueError, match='ReferenceCheckMetric'):
        prepare_reference_split(cfg)


def test_a_mask_among_the_references_is_refused(tmp_path):
    target = write_polyp_folder(tmp_path / 'frames', 3, seed=5)
    shutil.copy(target / 'masks' / '001.png', target / 'images' / 'z_mask.png')
    cfg = Config.fromfile(str(REPO / CUSTOM))
    cfg.merge_from_dict({'reference_split.folder': str(target),
                         'train_dataloader.dataset.data_root': str(tmp_path / 'absent')})
    with pytest.raises(ValueError, match=r'z_mask\.png looks like a segmentation mask'):
        prepare_reference_split(cfg)


def test_the_32px_config_is_the_64px_one_at_32_px():
    small = Config.fromfile(str(REPO / 'configs/stage2/stage2_custom_5shot_32px.py'))
    assert small.reference_split == dict(folder='data/my_hospital', k='all', num_heldout=None)
    assert small.val_evaluator.type == 'ReferenceCheckMetric'
    assert small.model.reference_size == 32
    assert [s.scale for s in small.train_pipeline if s.type == 'Resize'] == [(32, 32)]


def test_a_target_image_stage1_was_trained_on_is_refused(source, stage1, tmp_path):
    other_source = write_polyp_folder(tmp_path / 'other_source', 3, seed=7)
    target = write_polyp_folder(tmp_path / 'frames', 3, seed=8, masks=False)
    shutil.copy(source / 'images' / '002.png', target / 'images' / 'x.png')
    cfg = Config.fromfile(str(REPO / CUSTOM))
    cfg.merge_from_dict({'reference_split.folder': str(target),
                         'train_dataloader.dataset.data_root': str(other_source),
                         'model.stage1_checkpoint': str(stage1)})
    with pytest.raises(OverlapError, match=r'the training set of model.stage1_checkpoint .*x\.png'):
        prepare_reference_split(cfg)


def test_no_stage2_config_aligns_to_its_own_source():
    """Every stage-2 config's target folder is another dataset than the one its stage-2 source
    and its stage 1 default to (Kvasir-SEG for polyps; CVC-ClinicDB when Kvasir-SEG is the
    target)."""
    configs = sorted((REPO / 'configs/stage2').glob('stage2_*.py'))
    assert len(configs) >= 30
    for path in configs:
        cfg = Config.fromfile(str(path))
        folder = cfg.reference_split.folder
        if not isinstance(folder, str):
            continue  # the toy domains: a procedural dataset per domain
        source = cfg.train_dataloader.dataset.data_root
        assert Path(folder) != Path(source), path.name
        if 'kvasir' in path.name:
            assert 'clinicdb' in cfg.model.stage1_checkpoint, path.name
