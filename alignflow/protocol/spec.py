"""A protocol config, its checks, and the segmentor runs it asks for.

A protocol config names a source dataset, a stage-1 config, targets (each with a stage-2
config, shots and reference draws), the arms to compare, segmentors and seeds::

    source = dict(data_root='data/Kvasir-SEG', ann_file=None, type='PolypDataset')
    stage1 = dict(config='configs/alignflow/polyp_stage1.py', checkpoint=None, cfg_options={})
    mask_generator = dict(config='configs/maskflow/polyp_mask.py')   # for 'aligned_generated_masks'
    targets = [dict(name='clinicdb', folder='data/CVC-ClinicDB', num_heldout=100, shots=5,
                    draws=[0, 1, 2], alignment=dict(config='configs/alignflow/clinicdb_5shot.py'))]
    arms = ['real', 'stage1', 'aligned', 'aligned_generated_masks']
    segmentors = [dict(name='unet', config='configs/segmentation/unet_polyp_64.py')]
    seeds = [0, 1, 2]
    pair_draws_with_seeds = True   # seed i uses draw i (else every draw with every seed)
    synthesis = dict(synthetic_ratio=1.0, seed=0, batch_size=32, num_steps=None, augment=True)
    distances = dict(feature_space='randomconv', c2st_seeds=3, c2st_steps=300)

``stage1.checkpoint`` gives a stage 1 trained elsewhere, and a target's
``alignment.checkpoints`` one stage-2 checkpoint per entry of ``draws`` (trained with
``tools/train.py`` or the alignment sweep, or a checkpoint average): the protocol then trains
neither (:class:`~alignflow.protocol.steps.Protocol` checks them against its draws and stage 1).
"""
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional

from mmengine.config import Config

ARMS = ('real', 'stage1', 'aligned', 'aligned_generated_masks')


@dataclass(frozen=True)
class SegRun:
    """One segmentor training: ``arm`` with the synthetic set of ``draw`` (None for the arms
    without one), seeded ``seed``."""
    target: str
    segmentor: str
    arm: str
    draw: Optional[int]
    seed: int

    @property
    def arm_dir(self) -> str:
        return self.arm if self.draw is None else f'{self.arm}_draw{self.draw}'


def _check_config(path: str, what: str) -> str:
    if not path or not osp.isfile(path):
        raise FileNotFoundError(f'protocol {what}: config {path!r} does not exist')
    return path


def check_protocol(protocol: Config) -> None:
    """Every mistake a protocol can hold, before any training starts (names the key)."""
    for key in ('source', 'stage1', 'targets', 'segmentors', 'seeds'):
        if not protocol.get(key):
            raise ValueError(f'{protocol.filename}: the protocol needs `{key}`')
    if not osp.isdir(protocol.source.get('data_root', '')):
        raise FileNotFoundError(f'source.data_root={protocol.source.get("data_root")!r} is '
                                'not a folder; point it at the real source pairs')
    _check_config(protocol.stage1.get('config'), 'stage1')
    checkpoint = protocol.stage1.get('checkpoint')
    if checkpoint and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'stage1.checkpoint={checkpoint!r} does not exist; drop it to '
                                'train stage 1 in the protocol')
    arms = list(protocol.get('arms', ARMS))
    unknown = sorted(set(arms) - set(ARMS))
    if unknown:
        raise ValueError(f'arms {unknown} are unknown; choose from {list(ARMS)}')
    if 'aligned_generated_masks' in arms:
        if not protocol.get('mask_generator'):
            raise ValueError("arm 'aligned_generated_masks' needs `mask_generator = "
                             "dict(config=...)`; add it or drop the arm")
        _check_config(protocol.mask_generator.get('config'), 'mask_generator')
    ratio = protocol.get('synthesis', {}).get('synthetic_ratio', 1.0)
    if not isinstance(ratio, (int, float)) or ratio <= 0:
        raise ValueError(f'synthesis.synthetic_ratio must be > 0 (synthetic pairs per real '
                         f'pair), got {ratio!r}')
    names = set()
    for target in protocol.targets:
        name = target.get('name')
        if not name or name in names:
            raise ValueError(f'every target needs a distinct name, got {name!r}')
        names.add(name)
        if not osp.isdir(target.get('folder', '')):
            raise FileNotFoundError(f'target {name}: folder {target.get("folder")!r} does not '
                                    'exist')
        if {'aligned', 'aligned_generated_masks'} & set(arms):
            _check_config(target.get('alignment', {}).get('config'), f'target {name} alignment')
            if not target.get('draws'):
                raise ValueError(f'target {name}: the aligned arms need `draws`')
            if protocol.get('pair_draws_with_seeds', False) and \
                    len(target.draws) != len(protocol.seeds):
                raise ValueError(f'target {name}: pair_draws_with_seeds needs as many draws '
                                 f'({len(target.draws)}) as seeds ({len(protocol.seeds)})')
            _check_given_alignments(target)
    seg_names = [s.get('name') for s in protocol.segmentors]
    if len(set(seg_names)) != len(seg_names) or not all(seg_names):
        raise ValueError(f'every segmentor needs a distinct name, got {seg_names}')
    for seg in protocol.segmentors:
        _check_config(seg.get('config'), f'segmentor {seg.name}')


def _check_given_alignments(target: Config) -> None:
    """``alignment.checkpoints``, when a target gives it: one existing stage-2 checkpoint per
    entry of ``draws``, in that order."""
    given = target.alignment.get('checkpoints')
    if given is None:
        return
    if isinstance(given, str) or len(given) != len(target.draws):
        raise ValueError(f'target {target.name}: alignment.checkpoints={given!r} is not a '
                         f'list of one stage-2 checkpoint per draw {list(target.draws)}: give '
                         f'one per draw, in the order of `draws`, or drop it to train stage 2 '
                         f'in the protocol')
    for path in given:
        if not osp.isfile(path):
            raise FileNotFoundError(f'target {target.name}: alignment.checkpoints entry '
                                    f'{path!r} does not exist')


def seg_runs(protocol: Config) -> List[SegRun]:
    """Every segmentor training of the protocol, in the order they run."""
    arms = list(protocol.get('arms', ARMS))
    runs = []
    for target in protocol.targets:
        for seg in protocol.segmentors:
            for arm in arms:
                if arm in ('real', 'stage1'):
                    pairs = [(None, s) for s in protocol.seeds]
                elif protocol.get('pair_draws_with_seeds', False):
                    pairs = list(zip(target.draws, protocol.seeds))
                else:
                    pairs = [(d, s) for d in target.draws for s in protocol.seeds]
                runs += [SegRun(target.name, seg.name, arm, d, s) for d, s in pairs]
    return runs
