"""Synthetic pairs as mmseg data and the real + synthetic mix."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from alignflow.datasets import RealSyntheticMix, SyntheticSegDataset, write_toy_dataset
from alignflow.registry import DATASETS

REPO = Path(__file__).resolve().parents[2]
PIPELINE = [dict(type='LoadCheckedImage'), dict(type='LoadBinaryMask'),
            dict(type='Resize', scale=(16, 16), keep_ratio=False), dict(type='PackSegInputs')]


@pytest.fixture(scope='module')
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp('mix')
    real = write_toy_dataset(root / 'real', num_samples=6, img_size=24, domain='target', seed=0)
    synthetic = write_toy_dataset(root / 'syn', num_samples=4, img_size=24, domain='source',
                                  seed=1)
    (synthetic / 'synthesis.json').write_text(json.dumps(dict(seed=0, num=4)))
    return real, synthetic


def test_synthetic_folders_need_their_provenance(folders, tmp_path):
    real, synthetic = folders
    dataset = SyntheticSegDataset(data_root=str(synthetic), pipeline=[], max_pairs=3)
    assert len(dataset) == 3 and dataset.get_data_info(0)['synthetic'] is True
    assert dataset.provenance['num'] == 4
    with pytest.raises(FileNotFoundError, match='no synthesis.json.*tools/synthesize.py'):
        SyntheticSegDataset(data_root=str(real), pipeline=[])
    assert len(SyntheticSegDataset(data_root=str(real), pipeline=[],
                                   require_provenance=False)) == 6


@pytest.mark.parametrize('ratio, synthetic_pairs', [(1.0, 6), (0.5, 3), (0.0, 0)])
def test_the_mix_holds_the_ratio_asked_for(folders, ratio, synthetic_pairs):
    real, synthetic = folders
    mix = DATASETS.build(dict(
        type='RealSyntheticMix', synthetic_ratio=ratio,
        real=dict(type='PolypDataset', data_root=str(real), pipeline=PIPELINE),
        synthetic=dict(type='SyntheticSegDataset', data_root=str(synthetic))))
    assert (mix.num_real, mix.num_synthetic) == (6, synthetic_pairs) and len(mix) == 6 + \
        synthetic_pairs
    flags = [bool(mix.get_data_info(i).get('synthetic')) for i in range(len(mix))]
    assert flags == [False] * 6 + [True] * synthetic_pairs
    assert mix.metainfo['classes'] == ('background', 'polyp')
    assert mix[len(mix) - 1]['inputs'].shape == (3, 16, 16)  # the real pipeline, applied
    with pytest.raises(ValueError, match='synthetic_ratio'):
        RealSyntheticMix(real=dict(type='PolypDataset', data_root=str(real), pipeline=[]),
                         synthetic=dict(type='SyntheticSegDataset', data_root=str(synthetic)),
                         synthetic_ratio=-1)


def test_the_syn_segmentation_config_trains_on_the_mix(folders, tmp_path):
    real, synthetic = folders
    command = [sys.executable, 'tools/train.py', 'configs/segmentation/unet_polyp_32_syn.py',
               '--work-dir', str(tmp_path), '--cfg-options',
               f'train_dataloader.dataset.data_root={real}',
               f'synthetic_mix.data_root={synthetic}',
               f'val_dataloader.dataset.data_root={real}', 'train_dataloader.batch_size=4',
               'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
               'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
               'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
               'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1']
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    log = next(tmp_path.glob('*/*.log')).read_text()
    assert 'mDice' in log and 'lesion/dice_per_image' in log
    assert (tmp_path / 'iter_2.pth').is_file()
    assert any('RealSyntheticMix' in p.read_text() for p in tmp_path.rglob('*.py'))
