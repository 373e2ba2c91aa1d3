"""A protocol config, its checks, and the segmentor runs it asks for.

A protocol config names a source dataset, a stage-1 config, targets (each with a stage-2
config, shots and reference draws), the arms to compare, segmentors and seeds::

    source = dict(data_root='data/Kvasir-SEG', ann_file=None, type='PolypDataset')
    stage1 = dict(config='configs/stage1/stage1_polyp_64px.py', checkpoint=None, cfg_options={})
    mask_generator = dict(config='configs/maskflow/maskflow_polyp_64px.py')  # for generated masks
    targets = [dict(name='clinicdb', folder='data/CVC-ClinicDB', num_heldout=100, shots=5,
                    draws=[0, 1, 2],
                    alignment=dict(config='configs/stage2/stage2_clinicdb_5shot_64px.py'))]
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
import difflib
import os.path as osp
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional

from mmengine.config import Config

from alignflow.datasets.overlap import check_no_overlap, dataset_image_files
from alignflow.datasets.references import list_images
from alignflow.registry import DATASETS
from alignflow.utils.config_options import constructor_arguments
from alignflow.utils.config_renames import renamed_to

ARMS = ('real', 'stage1', 'aligned', 'aligned_generated_masks')

# The keys a protocol and each of its blocks may hold; a top-level name that starts with an
# underscore is a helper variable of the config file (e.g. a schedule several segmentors share).
PROTOCOL_KEYS = ('work_dir', 'source', 'stage1', 'mask_generator', 'targets', 'arms',
                 'segmentors', 'seeds', 'pair_draws_with_seeds', 'synthesis', 'distances')
BLOCK_KEYS = {
    'stage1': ('config', 'checkpoint', 'cfg_options'),
    'mask_generator': ('config', 'checkpoint', 'cfg_options'),
    'targets': ('name', 'folder', 'num_heldout', 'shots', 'draws', 'alignment'),
    'alignment': ('config', 'cfg_options', 'checkpoints'),
    'segmentors': ('name', 'config', 'cfg_options'),
    'synthesis': ('synthetic_ratio', 'seed', 'batch_size', 'num_steps', 'augment',
                  'guidance_scale', 'device'),
    'distances': ('feature_space', 'weights', 'c2st_seeds', 'c2st_steps', 'real_vs_generated'),
}


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
        renamed = renamed_to(path)
        hint = f'; it was renamed to {renamed} (configs/RENAMED.json)' if renamed else ''
        raise FileNotFoundError(f'protocol {what}: config {path!r} does not exist{hint}')
    return path


def _refuse_unknown(keys: Iterable[str], known: Iterable[str], where: str) -> None:
    """Refuse a key that is not in ``known``, naming the nearest known ones (a typo such as
    ``synthetic_raito`` would otherwise be ignored and its default used)."""
    known = list(known)
    for key in keys:
        if key not in known:
            near = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
            hint = f'did you mean {", ".join(near)}? ' if near else ''
            raise ValueError(f'{where}{key} is not a protocol setting; {hint}known: '
                             f'{", ".join(known)}')


def _source_keys(source: dict) -> List[str]:
    """What ``source`` may hold: ``type`` and the arguments of its dataset class."""
    dataset = DATASETS.get(source.get('type', 'PolypDataset'))
    if dataset is None:
        raise ValueError(f'source.type={source.get("type")!r} is not a registered dataset')
    return sorted({'type', *constructor_arguments(dataset)})


def check_keys(protocol: Config) -> None:
    """Refuse settings the protocol does not know, at the top and in every block."""
    _refuse_unknown([k for k in protocol.keys() if not k.startswith('_')], PROTOCOL_KEYS, '')
    if isinstance(protocol.get('source'), dict):
        _refuse_unknown(protocol.source.keys(), _source_keys(protocol.source), 'source.')
    for block in ('stage1', 'mask_generator', 'synthesis', 'distances'):
        if isinstance(protocol.get(block), dict):
            _refuse_unknown(protocol[block].keys(), BLOCK_KEYS[block], f'{block}.')
    for block in ('targets', 'segmentors'):
        for i, item in enumerate(protocol.get(block) or []):
            _refuse_unknown(item.keys(), BLOCK_KEYS[block], f'{block}.{i}.')
            if block == 'targets' and isinstance(item.get('alignment'), dict):
                _refuse_unknown(item.alignment.keys(), BLOCK_KEYS['alignment'],
                                f'targets.{i}.alignment.')


def _check_split(target: Config) -> None:
    """The target folder holds enough images for ``num_heldout`` held-out ones and ``shots``
    references besides (checked here: the split is drawn only after stage 1 has trained)."""
    count = len(list_images(target.folder, f'target {target.name}: folder', 'the protocol'))
    heldout, shots = target.get('num_heldout', 100), target.get('shots', 5)
    if not isinstance(heldout, int) or not 0 < heldout < count:
        raise ValueError(f'target {target.name}: num_heldout={heldout!r} must be between 1 and '
                         f'{count - 1}: {target.folder} holds {count} images and at least one '
                         f'must be left for references')
    if shots != 'all' and (not isinstance(shots, int) or not 0 < shots <= count - heldout):
        raise ValueError(f'target {target.name}: shots={shots!r} must be between 1 and '
                         f'{count - heldout} (the {count} images of {target.folder} less '
                         f'num_heldout={heldout}), or \'all\'')


def _check_target_not_in_source(protocol: Config, target: Config) -> None:
    """No image of the target folder (references and held-out test images are drawn from it)
    is also a source image, compared by pixels."""
    source = dataset_image_files(dict(dict(type='PolypDataset'), **protocol.source))
    if source is None:
        return  # the missing source folder is refused with its own message
    check_no_overlap(list_images(target.folder), source, f'images of target {target.name}',
                     f'source.data_root {protocol.source.data_root}',
                     'A target must be a domain the source set does not hold: remove them from '
                     'one of the two folders, or choose another source (PraNet\'s TrainDataset '
                     'holds 900 Kvasir-SEG and 550 CVC-ClinicDB pairs).')


def check_work_dir(protocol: Config, work_dir: str) -> None:
    """Refuse a work dir inside a folder the protocol reads (the source pairs, a target)."""
    work = Path(work_dir).resolve()
    folders = [('source.data_root', protocol.source.data_root)] + [
        (f'target {t.name} folder', t.folder) for t in protocol.targets]
    for what, folder in folders:
        folder = Path(folder).resolve()
        if work == folder or folder in work.parents:
            raise ValueError(f'work dir {work_dir} lies inside {what} {folder}: the protocol '
                             'would write checkpoints and results into a dataset; choose a '
                             'work dir outside it')


def check_protocol(protocol: Config) -> None:
    """Every mistake a protocol can hold, before any training starts (names the key)."""
    check_keys(protocol)
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
        _check_split(target)
        _check_target_not_in_source(protocol, target)
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
