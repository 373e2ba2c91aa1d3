"""The protocol's steps, each a cached artefact in the work dir (what ``tools/benchmark.py``
runs): stage 1, the mask generator, stage 2 per reference draw, the synthetic sets with their
distances to the target, and the segmentor runs.

Segmentors train on the real source pairs (plus a synthetic set for every arm but ``real``)
and are tested on the target's held-out images (never its references). Each step is done
once its ``artefact.json`` exists (an interrupted training resumes from its last checkpoint,
an interrupted synthesis from its last pair); a step made with other settings than the
protocol's is refused (:mod:`alignflow.protocol.store`); a synthetic set refuses another
checkpoint on its own (:func:`~alignflow.apis.synthesize.synthesize`). Work dir layout::

    stage1/  mask_generator/  synthetic/stage1/
    <target>/heldout.txt  <target>/align_k<shots>_draw<d>/
    <target>/synthetic/<arm>_k<shots>_draw<d>/
    <target>/seg/<segmentor>/<arm>[_k<shots>_draw<d>]/seed<s>/
    results.csv  results.md  protocol.json  timing.json (with progress)  report/
"""
import copy
import json
import os.path as osp
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
from mmengine.config import Config
from mmengine.dist import barrier

from alignflow.apis.generators import load_image_generator, load_mask_generator
from alignflow.apis.reference_split import metric_cfgs
from alignflow.apis.synthesize import (DatasetMasks, GeneratedMasks, SynthesisSettings,
                                       file_sha256, synthesize)
from alignflow.datasets.references import build_reference_split, list_images, load_images
from alignflow.evaluation import (FeatureCache, build_feature_space, compute_generation_metrics,
                                  extract_features)
from alignflow.evaluation.c2st import C2ST, read_uint8, real_vs_generated
from alignflow.registry import DATASETS
from alignflow.utils.atomic_io import write_text_atomic
from alignflow.utils.checkpoint import read_checkpoint
from .progress import NoProgress, ProtocolProgress
from .report import results_csv, results_table
from .spec import SegRun, check_protocol, check_work_dir, seg_runs
from .store import StepStore, fingerprint, last_checkpoint, training_settings
from .training import step_config, train

PROTOCOL_COPY = 'protocol.json'


class Protocol:
    """Runs (or re-reads) every step of a protocol in ``work_dir``.

    Args:
        protocol: the protocol config (see the module docstring).
        work_dir: where the artefacts live.
        launcher: ``'none'`` or ``'pytorch'`` (every training uses all ranks).
        log: where progress lines go.
        progress: reports each step, a training's iterations and the whole run's ETA
            (:class:`~alignflow.protocol.progress.ProtocolProgress`); None: only ``log``'s
            lines.
    """

    def __init__(self, protocol: Config, work_dir: str, launcher: str = 'none',
                 log: Callable[[str], None] = print,
                 progress: Optional[ProtocolProgress] = None):
        check_protocol(protocol)
        check_work_dir(protocol, work_dir)
        self.protocol = protocol
        self.work_dir = Path(work_dir)
        self.launcher = launcher
        self.log = log
        self.progress = progress or NoProgress()
        self.store = StepStore(work_dir, self._step_settings)
        self._given_checked_against: Optional[str] = None  # stage 1 of the last full check

    @property
    def rank(self) -> int:
        return self.store.rank

    # -- fingerprints: what each step is made from -----------------------------------------
    def fingerprint(self, key: tuple) -> str:
        """The fingerprint of the step ``key`` as this protocol would make it:
        ``(name,)`` for ``stage1``/``mask_generator``, ``('align', target, draw)``,
        ``('synthetic', arm, target, draw)`` or ``('segment', SegRun)``. It folds in the
        fingerprints of the steps the step is made from, so a change upstream reaches every
        step made from it."""
        return self.store.fingerprint(key)

    def _step_settings(self, key: tuple) -> dict:
        kind = key[0]
        if kind in ('stage1', 'mask_generator'):
            spec = self.protocol[kind]
            if spec.get('checkpoint'):
                return dict(checkpoint_sha256=file_sha256(spec.checkpoint))
            return training_settings(self._source_generator_cfg(kind))
        if kind == 'align':
            target = self._target(key[1])
            given = self._given_alignment(target, key[2])
            if given is not None:
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

    def _given(self, key: tuple) -> bool:
        """Whether the protocol gives the step's checkpoint (nothing to make in the work dir)."""
        if key[0] in ('stage1', 'mask_generator'):
            return bool(self.protocol[key[0]].get('checkpoint'))
        if key[0] == 'align':
            return self._given_alignment(self._target(key[1]), key[2]) is not None
        return False

    def check_finished_steps(self) -> None:
        """Refuse the work dir at once if any started or finished step of the protocol was made
        from other settings, naming all of them (:class:`StaleArtefactError`)."""
        stale = []
        for run in seg_runs(self.protocol):
            for step_dir, key in self._step_dirs(run):
                if self._given(key):
                    continue  # given by the protocol: nothing in the work dir
                if step_dir not in stale and self.store.is_stale(step_dir, key):
                    stale.append(step_dir)
        if stale:
            raise self.store.stale_error(stale, 'protocol')

    # -- training --------------------------------------------------------------------------
    def _config(self, path: str, work_dir: Path, cfg_options: Optional[dict]) -> Config:
        return step_config(path, work_dir, cfg_options, self.launcher)

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
        return train(cfg, self.progress.hooks())

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
        done = self.store.reuse(step, (name,), 'protocol')
        if done is None:
            self.log(f'[{name}] training {spec.config} in {step}')
            with self.progress.step((name,)):
                self.store.start(step, (name,))
                self._train(self._source_generator_cfg(name))
                done = self.store.finish(step, (name,), dict(checkpoint=last_checkpoint(step),
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
        done = self.store.done(self.work_dir / 'stage1')
        return self.protocol.stage1.get('checkpoint') or (done or {}).get('checkpoint')

    def check_given_alignments(self) -> None:
        """Refuse a stage-2 checkpoint of ``alignment.checkpoints`` whose run (its config, saved
        in the checkpoint) used another reference split than its draw's, or another stage 1 than
        the protocol's once that is known (by content; a stage 1 no longer at its recorded path
        is reported, not checked). Once passed against a known stage 1 it is not repeated
        (:meth:`align` asks again for each draw, in case stage 1 was trained since)."""
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
        done = self.store.reuse(step, key, 'protocol')
        if done is None:
            self.log(f'[stage 2] {target.name}, draw {draw}, in {step}')
            checkpoint = self.stage1()
            with self.progress.step(key):
                self.store.start(step, key)
                self._train(self._align_cfg(target, draw, checkpoint))
                done = self.store.finish(step, key, dict(
                    checkpoint=last_checkpoint(step), config=target.alignment.config, draw=draw))
        return done['checkpoint']

    # -- synthesis -------------------------------------------------------------------------
    def _num_pairs(self) -> int:
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
        out = self._synthetic_dir(arm, target, draw)
        key = self._synthetic_key(arm, target.name if target else None, draw)
        if self.store.reuse(out, key, 'protocol') is not None:
            return out
        settings_cfg = dict(self.protocol.get('synthesis', {}))
        if arm == 'stage1':
            config, checkpoint = self.protocol.stage1.config, self.stage1()
        else:
            config, checkpoint = target.alignment.config, self.align(target, draw)
        mask_ckpt = self.mask_generator() if arm == 'aligned_generated_masks' else None
        with self.progress.step(key):
            self._synthesize(out, key, arm, config, checkpoint, mask_ckpt, settings_cfg)
        return out

    def _synthesize(self, out: Path, key: tuple, arm: str, config: str, checkpoint: str,
                    mask_ckpt: Optional[str], settings_cfg: dict) -> None:
        """Paint one arm's synthetic set with the image generator ``checkpoint`` (and the
        mask generator ``mask_ckpt`` for the generated masks)."""
        self.log(f'[synthesis] {arm} ({config}) into {out}')
        image_cfg = Config.fromfile(config)
        device = settings_cfg.get('device', 'cpu')
        generator = load_image_generator(image_cfg.model, checkpoint, config,
                                         'the protocol').to(device)
        seed = settings_cfg.get('seed', 0)
        if arm == 'aligned_generated_masks':
            mask_cfg = Config.fromfile(self.protocol.mask_generator.config)
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
        self.store.finish(out, key, dict(arm=arm, checkpoint=checkpoint, num=settings.num))

    @staticmethod
    def _distances_path(synthetic: Path, target: Config) -> Path:
        return synthetic / f'distances_{target.name}.json'

    def _distances_fingerprint(self, synthetic: Path, target: Config) -> str:
        return fingerprint(dict(distances=dict(self.protocol.get('distances', {})),
                                target=self._heldout_spec(target),
                                synthetic=(self.store.done(synthetic) or {}).get('fingerprint')))

    def _cached_distances(self, synthetic: Path, target: Config) -> Optional[Dict[str, float]]:
        """The distances of ``distances_<target>.json`` while they were measured on this set
        with this protocol's ``distances``, else None."""
        cache = self._distances_path(synthetic, target)
        if cache.is_file():
            cached = json.loads(cache.read_text())
            if cached.get('fingerprint') == self._distances_fingerprint(synthetic, target):
                return cached['metrics']
        return None

    def distances(self, synthetic: Path, target: Config, key: tuple) -> Dict[str, float]:
        """KID/MMD (``distances.feature_space``, random-CNN by default), the C2ST share of
        a synthetic set (which domain) and, with ``distances.real_vs_generated=True``, the
        real-vs-generated accuracy, against the target's held-out images, cached in
        ``distances_<target>.json`` (recomputed when the set or ``distances`` changed).
        ``key``: the step's key in :meth:`waves` (``('distances', *synthetic key, target)``),
        for progress."""
        cached = self._cached_distances(synthetic, target)
        if cached is not None:
            return cached
        with self.progress.step(key):
            return self._measure_distances(synthetic, target)

    def _measure_distances(self, synthetic: Path, target: Config) -> Dict[str, float]:
        spec = self.protocol.get('distances', {})
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
        if spec.get('real_vs_generated', False):
            results.update(real_vs_generated(read_uint8(fake, size), read_uint8(real, size),
                                             range(spec.get('c2st_seeds', 3)),
                                             spec.get('c2st_steps', 300)))
        results = {k: float(v) for k, v in results.items() if isinstance(v, (int, float))}
        if self.rank == 0:
            write_text_atomic(json.dumps(dict(fingerprint=self._distances_fingerprint(
                synthetic, target), metrics=results), indent=2), self._distances_path(
                    synthetic, target))
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
        cfg.test_dataloader.dataset.data_root = target.folder
        cfg.test_dataloader.dataset.ann_file = str(self._heldout_path(target).resolve())
        if 'train_cfg.val_interval' in (seg.get('cfg_options') or {}):
            # Asked for: validation curves on the held-out target images (the test set; the
            # run keeps its last checkpoint, none is chosen by them).
            cfg.val_dataloader = copy.deepcopy(cfg.test_dataloader)
            cfg.val_evaluator = copy.deepcopy(cfg.test_evaluator)
        else:
            cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
        return cfg

    def segment(self, run: SegRun) -> dict:
        step, key = self._segment_dir(run), ('segment', run)
        target = self._target(run.target)
        done = self.store.reuse(step, key, 'protocol')
        synthetic = self._synthetic_dir(run.arm, target, run.draw)
        distances_key = ('distances', *self._synthetic_key(run.arm, run.target, run.draw)[1:],
                         run.target)
        if done is not None:
            if run.arm != 'real' and self.store.done(synthetic) is not None:
                # The distances follow the protocol's `distances` (cached, not retrained for).
                done = dict(done, **{f'synthesis/{k}': v for k, v in
                                     self.distances(synthetic, target, distances_key).items()})
            return done
        distances = {}
        if run.arm != 'real':
            distances = self.distances(self.synthetic_set(run.arm, target, run.draw), target,
                                       distances_key)
        self.heldout(target)
        self.log(f'[segmentor] {run.segmentor} {run.arm_dir} seed {run.seed} in {step}')
        with self.progress.step(key):
            self.store.start(step, key)
            runner = self._train(self._segment_cfg(run))
            metrics = {k: float(v) for k, v in runner.test().items()
                       if isinstance(v, (int, float, np.floating))}
            record = dict(target=run.target, segmentor=run.segmentor, arm=run.arm,
                          draw=run.draw, seed=run.seed, checkpoint=last_checkpoint(step),
                          **metrics, **{f'synthesis/{k}': v for k, v in distances.items()})
            return self.store.finish(step, key, record)

    # -- the whole protocol ----------------------------------------------------------------
    def waves(self) -> List[List[tuple]]:
        """The steps to make, as waves of independent step keys: each wave is made only from
        the waves before it, so its steps can run at once (:mod:`alignflow.protocol.launch`).
        Stage 1 and the mask generator; stage 2 per target and draw; the synthetic sets;
        their distances to each target (``('distances', *synthetic key, target)``); the
        segmentor runs. Steps the protocol gives a checkpoint for are left out."""
        waves: Dict[str, List[tuple]] = {kind: [] for kind in (
            'source', 'align', 'synthetic', 'distances', 'segment')}
        for run in seg_runs(self.protocol):
            for _, key in reversed(self._step_dirs(run)):
                kind = 'source' if key[0] in ('stage1', 'mask_generator') else key[0]
                if kind == 'segment' and key[1].arm != 'real':
                    synthetic = self._synthetic_key(run.arm, run.target, run.draw)
                    distances = ('distances', *synthetic[1:], run.target)
                    if distances not in waves['distances']:
                        waves['distances'].append(distances)
                if not self._given(key) and key not in waves[kind]:
                    waves[kind].append(key)
        return [wave for wave in waves.values() if wave]

    def is_made(self, key: tuple) -> bool:
        """Whether the step ``key`` of :meth:`waves` is done (and made as the protocol asks)."""
        if key[0] == 'distances':
            synthetic = self._synthetic_dir(key[1], self._target(key[4]), key[3])
            return self.store.done(synthetic) is not None and \
                self._cached_distances(synthetic, self._target(key[4])) is not None
        return self.store.reuse(self._step_dir(key), key, 'protocol') is not None

    def _step_dir(self, key: tuple) -> Path:
        kind = key[0]
        if kind in ('stage1', 'mask_generator'):
            return self.work_dir / kind
        if kind == 'align':
            return self._align_dir(self._target(key[1]), key[2])
        if kind == 'synthetic':
            target = None if key[2] is None else self._target(key[2])
            return self._synthetic_dir(key[1], target, key[3])
        return self._segment_dir(key[1])

    def step_units(self, key: tuple) -> int:
        """The work in the step ``key`` of :meth:`waves`: a training's iterations, a synthetic
        set's pairs, 1 for a distance measurement (what progress counts its ETA in)."""
        kind = key[0]
        if kind in ('stage1', 'mask_generator'):
            return self._source_generator_cfg(kind).train_cfg.max_iters
        if kind == 'align':
            return self._align_cfg(self._target(key[1]), key[2], '').train_cfg.max_iters
        if kind == 'synthetic':
            return self._num_pairs()
        if kind == 'distances':
            return 1
        return self._segment_cfg(key[1]).train_cfg.max_iters

    def make(self, key: tuple):
        """Make (or re-read) the one step ``key`` of :meth:`waves`, and what it is made from."""
        kind = key[0]
        if kind in ('stage1', 'mask_generator'):
            return self._source_generator(kind)
        if kind == 'align':
            return self.align(self._target(key[1]), key[2])
        if kind == 'synthetic':
            return self.synthetic_set(key[1], None if key[2] is None else self._target(key[2]),
                                      key[3])
        if kind == 'distances':
            target = self._target(key[4])
            arm_target = None if key[2] is None else target
            return self.distances(self.synthetic_set(key[1], arm_target, key[3]), target, key)
        return self.segment(key[1])

    def run(self) -> List[dict]:
        """Every segmentor run (each made once), then ``results.csv`` and ``results.md``; the
        protocol as run is kept beside them (``protocol.json``, what the report reads).
        Checks every finished step against the protocol first (:meth:`check_finished_steps`)
        and every stage-2 checkpoint it is given (:meth:`check_given_alignments`)."""
        self.check_finished_steps()
        self.check_given_alignments()
        if self.rank == 0:
            write_text_atomic(json.dumps(dict(filename=self.protocol.filename,
                                              protocol=self.protocol.to_dict()), indent=1),
                              self.work_dir / PROTOCOL_COPY)
        self.progress.plan_run(self)
        records = [self.segment(run) for run in seg_runs(self.protocol)]
        self.progress.finish()
        if self.rank == 0:
            write_text_atomic(results_csv(records), self.work_dir / 'results.csv')
            write_text_atomic(results_table(records), self.work_dir / 'results.md')
        barrier()
        return records
