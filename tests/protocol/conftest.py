"""The toy protocol the protocol's tests share: 8 source and 12 target pairs at 32 px, every
training 2 iterations."""
from pathlib import Path

import pytest
from mmengine.config import Config

from alignflow.datasets import write_toy_dataset

REPO = Path(__file__).resolve().parents[2]
TINY = {'train_cfg.max_iters': 2, 'train_cfg.val_interval': 100,
        'default_hooks.checkpoint.interval': 2, 'train_dataloader.batch_size': 4,
        'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
        'val_dataloader.num_workers': 0, 'val_dataloader.persistent_workers': False,
        'visualizer.vis_backends': [dict(type='LocalVisBackend')]}


def make_toy_protocol(source, target, **changes) -> Config:
    protocol = Config.fromfile(str(REPO / 'configs/benchmark/toy.py'))
    protocol.merge_from_dict({
        'source.data_root': str(source), 'targets.0.folder': str(target),
        'targets.0.num_heldout': 6, 'targets.0.shots': 3, 'targets.0.draws': [0],
        'seeds': [0], 'stage1.cfg_options': TINY,
        # an untrained mask generator paints noise: keep the chain from rejecting it
        'mask_generator.cfg_options': dict(
            TINY, **{'model.postprocess': [dict(type='Binarize', threshold=0.5)]}),
        'targets.0.alignment.cfg_options': dict(TINY, **{'custom_hooks.0.floor_factor': None}),
        'segmentors.0.cfg_options': TINY,
        'synthesis.num_steps': 2, 'synthesis.batch_size': 8,
        'distances.c2st_seeds': 1, 'distances.c2st_steps': 5})
    protocol.merge_from_dict(changes)
    return protocol


@pytest.fixture(scope='module')
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp('protocol_data')
    source = write_toy_dataset(root / 'source', num_samples=8, img_size=32, seed=0)
    target = write_toy_dataset(root / 'target', num_samples=12, img_size=32, domain='target',
                               seed=1)
    return source, target


@pytest.fixture
def toy_protocol(folders):
    """``toy_protocol(**changes)``: configs/benchmark/toy.py on the toy folders, made tiny."""
    return lambda **changes: make_toy_protocol(*folders, **changes)


@pytest.fixture(scope='session')
def quick_demo(tmp_path_factory):
    """(work dir, progress lines, report folder) of ``tools/demo.py --quick``: the toy protocol
    configs/benchmark/demo_quick.py with every arm, run once."""
    from alignflow.protocol.demo import run_demo
    work_dir = tmp_path_factory.mktemp('quick_demo') / 'demo'
    lines = []
    report = run_demo(str(REPO / 'configs/benchmark/demo_quick.py'), str(work_dir),
                      log=lines.append)
    return work_dir, lines, report
