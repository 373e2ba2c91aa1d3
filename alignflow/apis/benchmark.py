"""The paper's evaluation protocol as cached, named artefacts (what ``tools/benchmark.py`` runs).

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
neither, but refuses a stage-2 checkpoint whose run used another reference split than the
draw's (so its references can never be test images) or, once the protocol's stage 1 is known,
another stage 1 (the stage-1 and aligned arms would compare two stage 1s).

Segmentors train on the real source pairs (plus a synthetic set for every arm but ``real``)
and are tested on the target's held-out images (never its references). Work dir layout, each
step done once its ``artefact.json`` exists (an interrupted training resumes from its last
checkpoint, an interrupted synthesis from its last pair). A training step records a
fingerprint of what makes it when it starts (``started.json``) and in its ``artefact.json``
(its resolved config, without bookkeeping such as the work dir, logging or the number of loader
workers, and the fingerprints of the steps it is made from); a started or finished step whose
fingerprint differs from the protocol's (a changed config, default or override) is refused,
never resumed or reported as this protocol's result (a synthetic set refuses another
checkpoint on its own, :func:`~alignflow.apis.synthesize.synthesize`)::

    stage1/  mask_generator/  synthetic/stage1/
    <target>/heldout.txt  <target>/align_k<shots>_draw<d>/
    <target>/synthetic/<arm>_k<shots>_draw<d>/
    <target>/seg/<segmentor>/<arm>[_k<shots>_draw<d>]/seed<s>/
    results.csv  results.md
"""
import copy
import csv
import hashlib
import io
import json
import os
import os.path as osp
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config
from mmengine.dist import barrier, get_dist_info

from alignflow.utils.atomic_io import write_text_atomic
from .reference_split import metric_cfgs

ARMS = ('real', 'stage1', 'aligned', 'aligned_generated_masks')
ARTEFACT = 'artefact.json'
STARTED = 'started.json'
TABLE_METRICS = (('mDice', 'mDice'), ('mIoU', 'mIoU'),
                 ('lesion/dice_per_image', 'lesion Dice (per image)'),
                 ('lesion/iou_per_image', 'lesion IoU (per image)'))
SYNTHESIS_METRICS = (('kid', 'kd_'), ('mmd', 'mmd'), ('c2st_target_share', 'c2st_target_share'))


# Settings that do not change what a run learns or measures (where it writes, how it logs,
# how many processes load its data): left out of the fingerprint.
RUN_BOOKKEEPING = ('work_dir', 'visualizer', 'vis_backends', 'launcher', 'resume', 'load_from',
                   'log_level', 'log_processor', 'env_cfg', 'default_hooks')
LOADER_BOOKKEEPING = ('num_workers', 'persistent_workers', 'pin_memory')


class StaleArtefactError(RuntimeError):
    """Finished steps of the work dir (``steps``, their folders) were made with other settings
    than the protocol's."""

    def __init__(self, message: str, steps: Sequence[Path]):
        super().__init__(message)
        self.steps = list(steps)


def fingerprint(settings) -> str:
    """16 hex digits of the sha256 of JSON-able ``settings`` (blind to key order, and to
    tuple against list, as a config read back from its dump is)."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def training_settings(cfg: Config) -> dict:
    """The resolved config of a run without its bookkeeping (:data:`RUN_BOOKKEEPING`, and
    :data:`LOADER_BOOKKEEPING` in every ``*_dataloader``): what decides its checkpoints and
    metrics."""
    settings = {}
    for key, value in cfg.to_dict().items():
        if key in RUN_BOOKKEEPING:
            continue
        if key.endswith('_dataloader') and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in LOADER_BOOKKEEPING}
        settings[key] = value
    return settings


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


class Protocol:
    """Runs (or re-reads) every step of a protocol in ``work_dir``.

    Args:
        protocol: the protocol config (see the module docstring).
        work_dir: where the artefacts live.
        launcher: ``'none'`` or ``'pytorch'`` (every training uses all ranks).
        log: where progress lines go.
    """

    def __init__(self, protocol: Config, work_dir: str, launcher: str = 'none',
                 log: Callable[[str], None] = print):
        check_protocol(protocol)
        self.protocol = protocol
        self.work_dir = Path(work_dir)
        self.launcher = launcher
        self.log = log
        self._fingerprints: Dict[tuple, str] = {}
        self._given_checked_against: Optional[str] = None  # stage 1 of the last full check

    @property
    def rank(self) -> int:
        return get_dist_info()[0]

    # -- artefacts -------------------------------------------------------------------------
    def _done(self, step_dir: Path) -> Optional[dict]:
        path = step_dir / ARTEFACT
        return json.loads(path.read_text()) if path.is_file() else None

    def _stale_error(self, steps: Sequence[Path]) -> StaleArtefactError:
        names = ', '.join(str(p) for p in steps)
        return StaleArtefactError(
            f'{len(steps)} started or finished step(s) were made with other settings than '
            f'this protocol asks for now (a changed config, default or override, or an '
            f'AlignFlow that did not record them): {names}. Their results would be reported '
            f'as this protocol\'s. Delete every folder listed (later steps were made from '
            f'earlier ones) and run again, or give the protocol a new --work-dir.', steps)

    def _is_stale(self, step_dir: Path, key: tuple) -> bool:
        """Whether ``step_dir`` holds work (finished, or a training started) made from other
        settings than the protocol's; work without a fingerprint counts as other settings."""
        done = self._done(step_dir)
        if done is not None:
            recorded = done.get('fingerprint')
        elif (step_dir / STARTED).is_file():
            recorded = json.loads((step_dir / STARTED).read_text()).get('fingerprint')
        elif (step_dir / 'last_checkpoint').is_file():
            recorded = None  # a training started by an AlignFlow that did not record it
        else:
            return False
        return recorded != self.fingerprint(key)

    def _reuse(self, step_dir: Path, key: tuple) -> Optional[dict]:
        """The artefact of a finished step, None for one still to make or finish; refuses work
        made from other settings (:class:`StaleArtefactError`)."""
        if self._is_stale(step_dir, key):
            raise self._stale_error([step_dir])
        return self._done(step_dir)

    def _start(self, step_dir: Path, key: tuple) -> None:
        """Record what a training is made from before it writes its first checkpoint."""
        if self.rank == 0:
            write_text_atomic(json.dumps(dict(fingerprint=self.fingerprint(key))),
                              step_dir / STARTED)
        barrier()

    def _finish(self, step_dir: Path, key: tuple, record: dict) -> dict:
        record = dict(record, fingerprint=self.fingerprint(key))
        if self.rank == 0:
            write_text_atomic(json.dumps(record, indent=2), step_dir / ARTEFACT)
        barrier()
        return record

    # -- fingerprints: what each step is made from -----------------------------------------
    def fingerprint(self, key: tuple) -> str:
        """The fingerprint of the step ``key`` as this protocol would make it:
        ``(name,)`` for ``stage1``/``mask_generator``, ``('align', target, draw)``,
        ``('synthetic', arm, target, draw)`` or ``('segment', SegRun)``. It folds in the
        fingerprints of the steps the step is made from, so a change upstream reaches every
        step made from it."""
        if key not in self._fingerprints:
            self._fingerprints[key] = fingerprint(self._portable(self._step_settings(key)))
        return self._fingerprints[key]

    def _portable(self, value):
        """``value`` with every path inside the work dir written from the work dir's root
        (``<work_dir>/...``), so that a moved work dir keeps its fingerprints."""
        if isinstance(value, dict):
            return {k: self._portable(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._portable(v) for v in value]
        if isinstance(value, str):
            for root in (str(self.work_dir.resolve()), str(self.work_dir)):
                if value == root or value.startswith(root + os.sep):
                    return '<work_dir>' + value[len(root):]
        return value

    def _step_settings(self, key: tuple) -> dict:
        kind = key[0]
        if kind in ('stage1', 'mask_generator'):
            spec = self.protocol[kind]
            if spec.get('checkpoint'):
                from alignflow.apis.synthesize import file_sha256
                return dict(checkpoint_sha256=file_sha256(spec.checkpoint))
            return training_settings(self._source_generator_cfg(kind))
        if kind == 'align':
            target = self._target(key[1])
            given = self._given_alignment(target, key[2])
            if given is not None:
                from alignflow.apis.synthesize import file_sha256
                return dict(checkpoint_sha256=file_sha256(given))
            # The stage-1 checkpoint by what made it (its path is the same for any stage 1).
            stage1 = 'stage1 ' + self.fingerprint(('stage1',))
            return training_settings(self._align_cfg(target, key[2], stage1))
        if kind == 'synthetic':
            arm, name, draw = key[1:]
            image = (('stage1',) if arm == 'stage1' else ('align', name, draw))
            masks = ('mask_generator',) if arm == 'aligned_generated_masks' else None
            return dict(arm=arm, source=self.protocol.source.to_dict(),
                        synthesis=dict(self.protocol.get('synthesis', {})),
                        image=self.fingerprint(image),
                        masks=masks and self.fingerprint(masks))
        run = key[1]
        synthetic = (None if run.arm == 'real' else
                     self.fingerprint(self._synthetic_key(run.arm, run.target, run.draw)))
        # The held-out stems are heldout.txt's (a fixed path): fold in what decides them.
        return dict(run=training_settings(self._segment_cfg(run)), synthetic=synthetic,
                    heldout=self._heldout_spec(self._target(run.target)))

    def _step_dirs(self, run: SegRun) -> List[tuple]:
        """(folder, key) of a segmentor run and of every step it is made from."""
        target = self._target(run.target)
        steps = [(self._segment_dir(run), ('segment', run))]
        if run.arm == 'stage1':
            steps += [(self._synthetic_dir('stage1', target, None),
                       self._synthetic_key('stage1', None, None)),
                      (self.work_dir / 'stage1', ('stage1',))]
        elif run.arm != 'real':
            steps += [(self._synthetic_dir(run.arm, target, run.draw),
                       self._synthetic_key(run.arm, run.target, run.draw)),
                      (self._align_dir(target, run.draw), ('align', run.target, run.draw)),
                      (self.work_dir / 'stage1', ('stage1',))]
            if run.arm == 'aligned_generated_masks':
                steps.append((self.work_dir / 'mask_generator', ('mask_generator',)))
        return steps

    def check_finished_steps(self) -> None:
        """Refuse the work dir at once if any started or finished step of the protocol was made
        from other settings, naming all of them (:class:`StaleArtefactError`)."""
        stale = []
        for run in seg_runs(self.protocol):
            for step_dir, key in self._step_dirs(run):
                if (key[0] in ('stage1', 'mask_generator') and
                        self.protocol[key[0]].get('checkpoint')) or (
                        key[0] == 'align' and
                        self._given_alignment(self._target(key[1]), key[2]) is not None):
                    continue  # given by the protocol: nothing in the work dir
                if step_dir not in stale and self._is_stale(step_dir, key):
                    stale.append(step_dir)
        if stale:
            raise self._stale_error(stale)

    # -- training --------------------------------------------------------------------------
    def _config(self, path: str, work_dir: Path, cfg_options: Optional[dict]) -> Config:
        from .runner import load_config
        cfg = load_config(path, self.launcher, copy.deepcopy(cfg_options) or None,
                          str(work_dir))
        cfg.resume, cfg.load_from = True, None
        # One visualizer per run (mmengine keeps instances by name across runners).
        cfg.visualizer = dict(cfg.get('visualizer', {}), name=f'visualizer_{work_dir}')
        return cfg

    def _target(self, name: str) -> Config:
        return next(t for t in self.protocol.targets if t.name == name)

    def _source_dataset(self, dataset: dict) -> dict:
        """The protocol's source pairs in place of a config's dataset (its pipeline and
        ``indices`` kept): ``source`` = dict(data_root, ann_file=None, type='PolypDataset')."""
        source = dict(type='PolypDataset', ann_file=None)
        source.update(self.protocol.source)
        for key in ('pipeline', 'indices'):
            if key in dataset:
                source[key] = dataset[key]
        return source

    def _point_at_source(self, cfg: Config) -> None:
        """Train and validate a generator on the protocol's source pairs."""
        for loader in ('train_dataloader', 'val_dataloader'):
            dataset = (cfg.get(loader) or {}).get('dataset')
            if dataset is not None:
                cfg[loader].dataset = self._source_dataset(dataset)
        for metric in metric_cfgs(cfg.get('val_evaluator')):
            if isinstance(metric.get('real'), (str, dict)):
                metric['real'] = self.protocol.source.data_root

    def _train(self, cfg: Config):
        from .runner import build_runner
        time.sleep(1.0)  # mmengine names loggers by config and second
        runner = build_runner(cfg)
        runner.train()
        return runner

    @staticmethod
    def _last_checkpoint(work_dir: Path) -> str:
        return (work_dir / 'last_checkpoint').read_text().strip()

    def _source_generator_cfg(self, name: str) -> Config:
        spec = self.protocol[name]
        cfg = self._config(spec.config, self.work_dir / name, spec.get('cfg_options'))
        self._point_at_source(cfg)
        return cfg

    def _source_generator(self, name: str) -> str:
        """The checkpoint of a generator trained on the source pairs (``stage1`` or
        ``mask_generator``): the protocol's own ``checkpoint``, else trained once in
        ``<work_dir>/<name>``."""
        spec = self.protocol[name]
        if spec.get('checkpoint'):
            return spec.checkpoint
        step = self.work_dir / name
        done = self._reuse(step, (name,))
        if done is None:
            self.log(f'[{name}] training {spec.config} in {step}')
            self._start(step, (name,))
            self._train(self._source_generator_cfg(name))
            done = self._finish(step, (name,), dict(checkpoint=self._last_checkpoint(step),
                                                    config=spec.config))
        return done['checkpoint']

    def stage1(self) -> str:
        return self._source_generator('stage1')

    def mask_generator(self) -> str:
        return self._source_generator('mask_generator')

    def _split_options(self, target: Config, draw: int) -> dict:
        return {'reference_split.folder': target.folder,
                'reference_split.k': target.get('shots', 5),
                'reference_split.seed': draw,
                'reference_split.num_heldout': target.get('num_heldout', 100)}

    def _heldout_path(self, target: Config) -> Path:
        return self.work_dir / target.name / 'heldout.txt'

    @staticmethod
    def _heldout_spec(target: Config) -> dict:
        return dict(folder=target.folder, num_heldout=target.get('num_heldout', 100))

    def heldout(self, target: Config) -> Path:
        """``<target>/heldout.txt``: the stems of the target images the segmentors are tested
        on (the split's held-out set, the same for every draw; never a reference), rewritten
        when the target's folder or ``num_heldout`` changed."""
        from alignflow.datasets.references import build_reference_split
        path = self._heldout_path(target)
        split = build_reference_split(k=target.get('shots', 5), seed=0,
                                      **self._heldout_spec(target))
        text = ''.join(f'{p.stem}\n' for p in split.heldout)
        if self.rank == 0 and (not path.is_file() or path.read_text() != text):
            write_text_atomic(text, path)
        barrier()
        return path

    def _align_dir(self, target: Config, draw: int) -> Path:
        return self.work_dir / target.name / f'align_k{target.get("shots", 5)}_draw{draw}'

    def _align_cfg(self, target: Config, draw: int, stage1_checkpoint: str) -> Config:
        options = dict(target.alignment.get('cfg_options') or {})
        options.update(self._split_options(target, draw))
        options['model.stage1_checkpoint'] = stage1_checkpoint
        options['model.stage1_config'] = self.protocol.stage1.config
        cfg = self._config(target.alignment.config, self._align_dir(target, draw), options)
        self._point_at_source(cfg)
        return cfg

    @staticmethod
    def _given_alignment(target: Config, draw: int) -> Optional[str]:
        """The stage-2 checkpoint the target gives for ``draw`` (None: trained here)."""
        given = target.alignment.get('checkpoints')
        return None if given is None else given[list(target.draws).index(draw)]

    def _known_stage1(self) -> Optional[str]:
        """The protocol's stage-1 checkpoint where it exists without training."""
        done = self._done(self.work_dir / 'stage1')
        return self.protocol.stage1.get('checkpoint') or (done or {}).get('checkpoint')

    def check_given_alignments(self) -> None:
        """Refuse a stage-2 checkpoint of ``alignment.checkpoints`` whose run (its config, saved
        in the checkpoint) used another reference split than its draw's, or another stage 1 than
        the protocol's once that is known (by content; a stage 1 no longer at its recorded path
        is reported, not checked). Once passed against a known stage 1 it is not repeated
        (:meth:`align` asks again for each draw, in case stage 1 was trained since)."""
        from alignflow.apis.synthesize import file_sha256
        from alignflow.utils.checkpoint import read_checkpoint
        stage1 = self._known_stage1()
        if stage1 is not None and stage1 == self._given_checked_against:
            return
        stage1_sha256 = None
        for target in self.protocol.targets:
            for draw in target.get('draws') or []:
                given = self._given_alignment(target, draw)
                if given is None:
                    continue
                text = read_checkpoint(given, 'alignment.checkpoints').get(
                    'meta', {}).get('cfg')
                if not text:
                    raise ValueError(f'target {target.name}: {given} holds no training config '
                                     f'(meta.cfg), so its reference split cannot be checked; '
                                     f'give a checkpoint a stage-2 training run saved')
                cfg = Config.fromstring(text, '.py')
                split = dict(cfg.get('reference_split') or {})
                wanted = dict(k=target.get('shots', 5), seed=draw,
                              num_heldout=target.get('num_heldout', 100))
                if {k: split.get(k) for k in wanted} != wanted or \
                        Path(split.get('folder', '')).name != Path(target.folder).name:
                    raise ValueError(
                        f'target {target.name}: {given} was aligned to reference_split='
                        f'{split}, not to draw {draw} of this protocol (folder '
                        f'{target.folder!r}, {wanted}): give the checkpoints in the order of '
                        f'`draws`, each trained with its draw\'s split')
                recorded = cfg.model.get('stage1_checkpoint')
                if stage1 is None or not recorded:
                    continue
                if not osp.isfile(recorded):
                    self.log(f'[stage 2] {given}: its stage 1 {recorded} is gone, so whether '
                             f'it is this protocol\'s ({stage1}) was not checked')
                    continue
                stage1_sha256 = stage1_sha256 or file_sha256(stage1)
                if file_sha256(recorded) != stage1_sha256:
                    raise ValueError(
                        f'target {target.name}: {given} was aligned from the stage 1 '
                        f'{recorded}, not from this protocol\'s ({stage1}): the stage-1 and '
                        f'aligned arms would compare two stage 1s; give that stage 1 as '
                        f'stage1.checkpoint')
        self._given_checked_against = stage1

    def align(self, target: Config, draw: int) -> str:
        given = self._given_alignment(target, draw)
        if given is not None:
            self.check_given_alignments()
            return given
        step, key = self._align_dir(target, draw), ('align', target.name, draw)
        done = self._reuse(step, key)
        if done is None:
            self.log(f'[stage 2] {target.name}, draw {draw}, in {step}')
            checkpoint = self.stage1()
            self._start(step, key)
            self._train(self._align_cfg(target, draw, checkpoint))
            done = self._finish(step, key, dict(checkpoint=self._last_checkpoint(step),
                                                config=target.alignment.config, draw=draw))
        return done['checkpoint']

    # -- synthesis -------------------------------------------------------------------------
    def _num_pairs(self) -> int:
        from alignflow.registry import DATASETS
        real = DATASETS.build(self._source_dataset(dict(pipeline=[])))
        ratio = self.protocol.get('synthesis', {}).get('synthetic_ratio', 1.0)
        return max(1, round(ratio * len(real)))

    def _synthetic_dir(self, arm: str, target: Optional[Config], draw: Optional[int]) -> Path:
        if arm == 'stage1':
            return self.work_dir / 'synthetic' / 'stage1'
        return (self.work_dir / target.name / 'synthetic' /
                f'{arm}_k{target.get("shots", 5)}_draw{draw}')

    @staticmethod
    def _synthetic_key(arm: str, target: Optional[str], draw: Optional[int]) -> tuple:
        """The stage-1 set is one for every target."""
        return ('synthetic', 'stage1', None, None) if arm == 'stage1' else \
            ('synthetic', arm, target, draw)

    def synthetic_set(self, arm: str, target: Optional[Config], draw: Optional[int]) -> Path:
        """The folder of one arm's synthetic pairs (made once)."""
        from alignflow.apis.generators import load_image_generator, load_mask_generator
        from alignflow.apis.synthesize import (DatasetMasks, GeneratedMasks,
                                               SynthesisSettings, file_sha256, synthesize)
        out = self._synthetic_dir(arm, target, draw)
        key = self._synthetic_key(arm, target.name if target else None, draw)
        if self._reuse(out, key) is not None:
            return out
        settings_cfg = dict(self.protocol.get('synthesis', {}))
        if arm == 'stage1':
            config, checkpoint = self.protocol.stage1.config, self.stage1()
        else:
            config, checkpoint = target.alignment.config, self.align(target, draw)
        self.log(f'[synthesis] {arm} ({config}) into {out}')
        image_cfg = Config.fromfile(config)
        device = settings_cfg.get('device', 'cpu')
        generator = load_image_generator(image_cfg.model, checkpoint, config,
                                         'the protocol').to(device)
        seed = settings_cfg.get('seed', 0)
        if arm == 'aligned_generated_masks':
            mask_cfg = Config.fromfile(self.protocol.mask_generator.config)
            mask_ckpt = self.mask_generator()
            mask_model = load_mask_generator(mask_cfg.model, mask_ckpt,
                                             self.protocol.mask_generator.config,
                                             'the protocol').to(device)
            masks = GeneratedMasks(mask_model, seed, (mask_cfg.img_size, mask_cfg.img_size),
                                   describe_as=dict(config=mask_cfg.filename,
                                                    checkpoint=mask_ckpt))
        else:
            masks = DatasetMasks(self.protocol.source.data_root, seed,
                                 augment=settings_cfg.get('augment', True))
        settings = SynthesisSettings(num=self._num_pairs(), seed=seed,
                                     size=(image_cfg.img_size, image_cfg.img_size),
                                     batch_size=settings_cfg.get('batch_size', 32),
                                     num_steps=settings_cfg.get('num_steps'),
                                     guidance_scale=settings_cfg.get('guidance_scale'))
        provenance = dict(image_config=osp.abspath(config),
                          image_checkpoint=osp.abspath(checkpoint),
                          image_checkpoint_sha256=file_sha256(checkpoint))
        synthesize(str(out), generator, masks, settings, provenance, progress=False)
        self._finish(out, key, dict(arm=arm, checkpoint=checkpoint, num=settings.num))
        return out

    def distances(self, synthetic: Path, target: Config) -> Dict[str, float]:
        """KID/MMD (``distances.feature_space``, random-CNN by default) and the C2ST share of
        a synthetic set against the target's held-out images, cached in
        ``distances_<target>.json`` (recomputed when the set or ``distances`` changed)."""
        from alignflow.datasets.references import list_images, load_images
        from alignflow.evaluation import (FeatureCache, build_feature_space,
                                          compute_generation_metrics, extract_features)
        from alignflow.evaluation.c2st import C2ST
        spec = self.protocol.get('distances', {})
        made_from = fingerprint(dict(distances=dict(spec), target=self._heldout_spec(target),
                                     synthetic=(self._done(synthetic) or {}).get('fingerprint')))
        cache = synthetic / f'distances_{target.name}.json'
        if cache.is_file():
            cached = json.loads(cache.read_text())
            if cached.get('fingerprint') == made_from:
                return cached['metrics']
        space = spec.get('feature_space', 'randomconv')
        fake = list_images(synthetic, 'synthetic set', 'the protocol')
        stems = set(self.heldout(target).read_text().split())
        real = [p for p in list_images(target.folder, 'target folder', 'the protocol')
                if p.stem in stems]
        size = tuple(json.loads((synthetic / 'synthesis.json').read_text())['size'])
        extractor, identity = build_feature_space(space, spec.get('weights'))
        fake_features = extract_features(extractor, fake, size, progress=False)
        real_features = FeatureCache().get_or_compute(real, extractor, identity, size,
                                                      progress=False)
        results = compute_generation_metrics(fake_features, real_features, ('kid', 'mmd'),
                                             space)
        source = list_images(self.protocol.source.data_root, 'source folder', 'the protocol')
        test = C2ST(source, real, size, seeds=range(spec.get('c2st_seeds', 3)),
                    steps=spec.get('c2st_steps', 300))
        results.update(test.report(load_images(fake, size, 'synthetic images')))
        results = {k: float(v) for k, v in results.items() if isinstance(v, (int, float))}
        if self.rank == 0:
            write_text_atomic(json.dumps(dict(fingerprint=made_from, metrics=results),
                                         indent=2), cache)
        barrier()
        return results

    # -- segmentors ------------------------------------------------------------------------
    def _segment_dir(self, run: SegRun) -> Path:
        return (self.work_dir / run.target / 'seg' / run.segmentor / run.arm_dir /
                f'seed{run.seed}')

    def _segment_cfg(self, run: SegRun) -> Config:
        target = self._target(run.target)
        seg = next(s for s in self.protocol.segmentors if s.name == run.segmentor)
        cfg = self._config(seg.config, self._segment_dir(run), seg.get('cfg_options'))
        cfg.train_dataloader.dataset = self._source_dataset(cfg.train_dataloader.dataset)
        cfg.randomness = dict(cfg.get('randomness', {}), seed=run.seed)
        if run.arm != 'real':
            ratio = self.protocol.get('synthesis', {}).get('synthetic_ratio', 1.0)
            synthetic = self._synthetic_dir(run.arm, target, run.draw)
            cfg.synthetic_mix = dict(data_root=str(synthetic), synthetic_ratio=ratio,
                                     seed=run.seed)
        cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
        cfg.test_dataloader.dataset.data_root = target.folder
        cfg.test_dataloader.dataset.ann_file = str(self._heldout_path(target).resolve())
        return cfg

    def segment(self, run: SegRun) -> dict:
        step, key = self._segment_dir(run), ('segment', run)
        target = self._target(run.target)
        done = self._reuse(step, key)
        if done is not None:
            synthetic = self._synthetic_dir(run.arm, target, run.draw)
            if run.arm != 'real' and self._done(synthetic) is not None:
                # The distances follow the protocol's `distances` (cached, not retrained for).
                done = dict(done, **{f'synthesis/{k}': v for k, v in
                                     self.distances(synthetic, target).items()})
            return done
        synthetic = None if run.arm == 'real' else self.synthetic_set(run.arm, target, run.draw)
        self.heldout(target)
        self.log(f'[segmentor] {run.segmentor} {run.arm_dir} seed {run.seed} in {step}')
        self._start(step, key)
        runner = self._train(self._segment_cfg(run))
        metrics = {k: float(v) for k, v in runner.test().items()
                   if isinstance(v, (int, float, np.floating))}
        record = dict(target=run.target, segmentor=run.segmentor, arm=run.arm, draw=run.draw,
                      seed=run.seed, checkpoint=self._last_checkpoint(step), **metrics)
        if synthetic is not None:
            record.update({f'synthesis/{k}': v for k, v in
                           self.distances(synthetic, target).items()})
        return self._finish(step, key, record)

    # -- the whole protocol ----------------------------------------------------------------
    def run(self) -> List[dict]:
        """Every segmentor run (each made once), then ``results.csv`` and ``results.md``.
        Checks every finished step against the protocol first (:meth:`check_finished_steps`)
        and every stage-2 checkpoint it is given (:meth:`check_given_alignments`)."""
        self.check_finished_steps()
        self.check_given_alignments()
        records = [self.segment(run) for run in seg_runs(self.protocol)]
        if self.rank == 0:
            write_text_atomic(results_csv(records), self.work_dir / 'results.csv')
            write_text_atomic(results_table(records), self.work_dir / 'results.md')
        barrier()
        return records


def results_csv(records: Sequence[dict]) -> str:
    """One row per segmentor run, every metric it recorded as a column."""
    columns = ['target', 'segmentor', 'arm', 'draw', 'seed']
    columns += sorted({k for r in records for k in r} - set(columns) -
                      {'checkpoint', 'fingerprint'})
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction='ignore', lineterminator='\n')
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


def _mean_std(values: Sequence[float], scale: float = 1.0, digits: int = 2) -> str:
    values = [v * scale for v in values if v is not None and not np.isnan(v)]
    if not values:
        return '–'
    if len(values) == 1:
        return f'{values[0]:.{digits}f}'
    return f'{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}'


def _synthesis_value(record: dict, inception_name: str, prefix: str) -> Optional[float]:
    """A synthesis distance under its feature space's name: ``kid`` in the FID Inception,
    ``kd_<space>`` elsewhere (see ``metric_names``); None for the real-only arm."""
    for key, value in record.items():
        name = key[len('synthesis/'):]
        if key.startswith('synthesis/') and (name == inception_name or (
                name.startswith(prefix) and not name.endswith(('_std', '_subset_size')))):
            return value
    return None


def results_table(records: Sequence[dict]) -> str:
    """Markdown: per target, segmentor and arm, mean ± sample std over its runs (segmentor
    seeds, with reference draws for the aligned arms) of the test metrics (in %, on the
    target's held-out images) and the synthetic set's distances to them."""
    lines = ['| target | segmentor | arm | runs | '
             + ' | '.join(name for _, name in TABLE_METRICS)
             + ' | KID of the synthesis | MMD | C2ST share (%) |',
             '|' + '---|' * (7 + len(TABLE_METRICS))]
    groups: Dict[tuple, List[dict]] = {}
    for record in records:
        groups.setdefault((record['target'], record['segmentor'], record['arm']),
                          []).append(record)
    for (target, segmentor, arm), rows in groups.items():
        cells = []
        for key, _ in TABLE_METRICS:
            # mmseg reports mDice/mIoU in %, PerImageLesionMetric in [0, 1].
            scale = 1.0 if key in ('mDice', 'mIoU') else 100.0
            cells.append(_mean_std([r.get(key) for r in rows], scale))
        for inception_name, prefix in SYNTHESIS_METRICS:
            values = [_synthesis_value(r, inception_name, prefix) for r in rows]
            cells.append(_mean_std(values, 100.0, 1) if prefix.startswith('c2st') else
                         _mean_std(values, 1.0, 4))
        lines.append(f'| {target} | {segmentor} | {arm} | {len(rows)} | '
                     + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'
