"""The retinal path: stage1_retina_64px.py and stage2_drive_{1,5,10,full}shot_64px.py load,
split DRIVE's 40 images sensibly, and train end to end (tools/train.py subprocesses) on a small
synthetic fundus-like folder written here."""
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.config import Config

import alignflow  # noqa: F401
from alignflow.datasets.references import list_images, split_references
from alignflow.registry import DATASETS

REPO = Path(__file__).resolve().parents[2]
STAGE1 = 'configs/stage1/stage1_retina_64px.py'
DRIVE_SHOTS = {'1': 1, '5': 5, '10': 10, 'full': 'all'}
DRIVE = REPO.parent / 'shared' / 'data' / 'retina' / 'DRIVE'  # optional real subset
TINY = ['base_channels=16', 'num_heads=2']
LOADER = ['batch_size=4', 'num_workers=0', 'persistent_workers=False']


def write_fundus_folder(root: Path, n: int, seed: int, size=(80, 72)) -> Path:
    """``n`` fundus-like pairs (W x H = ``size``): an orange disc on black with dark red
    random vessel lines, and their binary masks, as ``images/`` + ``masks/`` PNGs."""
    rng = np.random.default_rng(seed)
    (root / 'images').mkdir(parents=True)
    (root / 'masks').mkdir()
    w, h = size
    for i in range(n):
        image = np.zeros((h, w, 3), np.uint8)
        cv2.circle(image, (w // 2, h // 2), min(w, h) // 2 - 2, (40, 90, 200), -1)  # BGR
        mask = np.zeros((h, w), np.uint8)
        for _ in range(4):
            p, q = rng.integers(0, (w, h), size=(2, 2))
            cv2.line(mask, tuple(map(int, p)), tuple(map(int, q)), 255, 1)
        image[mask > 0] = (20, 30, 120)
        cv2.imwrite(str(root / 'images' / f'{i:02d}_training.png'), image)
        cv2.imwrite(str(root / 'masks' / f'{i:02d}_training.png'), mask)
    return root


def train(config, work_dir, options):
    command = [sys.executable, 'tools/train.py', config, '--work-dir', str(work_dir),
               '--cfg-options', 'default_hooks.logger.interval=1', 'train_cfg.max_iters=2',
               'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
               'custom_hooks.1.interval=2', *options]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return next(work_dir.glob('*/*.log')).read_text()


@pytest.fixture(scope='module')
def source(tmp_path_factory):
    return write_fundus_folder(tmp_path_factory.mktemp('retina_source'), 8, seed=0)


@pytest.fixture(scope='module')
def stage1(source, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('stage1_retina_64px')
    options = [f'{loader}.{o}' for loader in ('train_dataloader', 'val_dataloader')
               for o in [f'dataset.data_root={source}', *LOADER]]
    log = train(STAGE1, work_dir, [*options,  # the metric's real images follow data_root
                                   *(f'model.velocity_net.{o}' for o in TINY),
                                   'model.solver.num_steps=4'])
    return work_dir / 'iter_2.pth', log


@pytest.mark.parametrize('name', DRIVE_SHOTS)
def test_drive_configs_align_retina_stage1_to_drive(name):
    cfg = Config.fromfile(str(REPO / f'configs/stage2/stage2_drive_{name}shot_64px.py'))
    refs = cfg.reference_split
    assert cfg.model.stage1_config == STAGE1
    assert refs.folder == 'data/DRIVE' and cfg.val_evaluator.real is None  # the held-out images
    assert refs.k == DRIVE_SHOTS[name] and refs.num_heldout == 20
    assert cfg.train_dataloader.dataset.type == 'RetinalVesselDataset'
    # DRIVE's 40 images: every shot count leaves the same held-out set, disjoint from the refs.
    split = split_references([f'{i:02d}.png' for i in range(40)], refs.k, refs.seed,
                             num_heldout=refs.num_heldout)
    assert len(split.references) == (20 if refs.k == 'all' else refs.k)
    assert len(split.heldout) == 20 and not set(split.references) & set(split.heldout)


def test_retina_stage1_trains_on_a_fundus_folder(stage1):
    path, log = stage1
    assert path.is_file()
    assert 'loss_fm:' in log and 'gen/kd_randomconv:' in log


def test_drive_alignment_trains_from_the_retina_stage1_checkpoint(source, stage1, tmp_path):
    target = write_fundus_folder(tmp_path / 'DRIVE', 10, seed=1, size=(72, 80))
    options = [f'{loader}.{o}' for loader in ('train_dataloader', 'val_dataloader')
               for o in [f'dataset.data_root={source}', *LOADER]]
    log = train('configs/stage2/stage2_drive_5shot_64px.py', tmp_path / 'work', [
        *options, f'model.stage1_checkpoint={stage1[0]}', f'reference_split.folder={target}',
        'reference_split.num_heldout=4',
        *(f'model.generator.velocity_net.{o}' for o in TINY),
        'model.generator.solver.num_steps=4', 'model.num_steps=4', 'model.grad_last_k=2',
        'custom_hooks.0.min_iters=100', 'val_evaluator.c2st_steps=30'])
    assert 'loss_reward:' in log and 'gen/kd_randomconv:' in log
    record = json.loads((tmp_path / 'work' / 'reference_split.json').read_text())
    assert len(record['references']) == 5 and len(record['heldout']) == 4


@pytest.mark.skipif(not DRIVE.is_dir(), reason=f'real DRIVE subset not found at {DRIVE}')
def test_retina_pipeline_reads_real_drive():
    cfg = Config.fromfile(str(REPO / STAGE1))
    dataset = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=str(DRIVE)))
    sample = dataset[0]
    assert len(dataset) == 16 and sample['inputs'].shape == (3, 64, 64)
    assert 0 < sample['data_samples'].gt_sem_seg.data.float().mean() < 0.3  # thin vessels
    split = split_references(list_images(DRIVE), 'all', num_heldout=20)
    assert len(split.references) == len(split.heldout) == 20
