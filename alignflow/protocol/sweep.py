"""The alignment sweep: one stage-2 config over shot counts and reference draws, on the step
store of the protocol (:mod:`alignflow.protocol.store`), with the evidence tabulated.

For every (k, seed) it trains the config with ``k`` references drawn with ``seed`` in
``<work_root>/k<k>_seed<seed>`` (a finished run is re-read, an interrupted one resumes, one made
with other settings is refused), reads the validation metrics the run logged
(:mod:`alignflow.protocol.sweep_report`), and writes ``summary.json`` and ``summary.md``.

With ``adherence=(SEG_CONFIG, SEG_CHECKPOINT, MASKS)`` stage 1 and every final checkpoint also
paint the masks of ``MASKS`` (held-out source pairs) into ``<run>/adherence/pairs`` and the
segmentor scores each image against its mask (lesion Dice per image); ``adherence_target``
(held-out real target pairs, never references) adds the target's masks
(``<run>/adherence_target``) and the look-matched change
(:func:`alignflow.evaluation.look_matched_change`). Each score is a step of the store too:
made once, re-made only when the checkpoint, the masks or the segmentor change.
"""
import json
import os
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from mmengine.config import Config

from alignflow.apis.synthesize import file_sha256
from alignflow.apis.testing import build_test_runner
from alignflow.evaluation import load_segmentor, look_matched_change, score_pair_folder
from alignflow.utils import register_all_modules
from alignflow.utils.atomic_io import write_text_atomic
from .store import StepStore, fingerprint, last_checkpoint, training_settings
from .sweep_report import check_final_validation, look_table, summarise_run, table, val_records
from .training import step_config, train


def pair_folder(folder: str, flag: str, what: str) -> str:
    """``folder`` as an absolute path, once it holds ``images/`` and ``masks/``."""
    folder = os.path.abspath(folder)
    if not all(os.path.isdir(os.path.join(folder, sub)) for sub in ('images', 'masks')):
        raise FileNotFoundError(f'{flag}: {folder} needs a masks/ subfolder and an images/ one '
                                f'({what})')
    return folder


def run_overrides(shots: Union[int, str], seed: int) -> dict:
    """The one reference split of the run that draws ``shots`` references with ``seed``."""
    return {'reference_split.k': shots, 'reference_split.seed': seed}


class AlignmentSweep:
    """Train ``config`` for every shot count and draw, and tabulate what the runs logged.

    Args:
        config: a stage-2 config.
        work_root: where the runs and the summary live.
        shots: shot counts (``'all'`` draws once, with the first seed).
        seeds: reference draws.
        metric: the validation scalar to tabulate (lower is better).
        cfg_options: overrides for every run, e.g. ``{'train_cfg.max_iters': 300}``.
        adherence: ``(seg_config, seg_checkpoint, masks)``: also score mask adherence.
        adherence_target: with ``adherence``, held-out real target pairs.
        log: where progress lines go.
    """

    def __init__(self, config: str, work_root: str, shots: Sequence[Union[int, str]] = (1, 5, 10,
                 'all'), seeds: Sequence[int] = (0, 1, 2), metric: str = 'gen/kd_randomconv',
                 cfg_options: Optional[dict] = None,
                 adherence: Optional[Tuple[str, str, str]] = None,
                 adherence_target: Optional[str] = None, log: Callable[[str], None] = print):
        if adherence_target and not adherence:
            raise ValueError('adherence_target needs adherence=(SEG_CONFIG, SEG_CHECKPOINT, '
                             'MASKS): the segmentor that rates the pairs')
        self.config, self.root = config, Path(work_root)
        self.shots, self.seeds, self.metric = list(shots), list(seeds), metric
        self.cfg_options = dict(cfg_options or {})
        self.log = log
        self.store = StepStore(work_root, self._settings)
        self.segmentor = None
        if adherence is not None:
            seg_config, seg_checkpoint, masks = adherence
            register_all_modules()
            self.masks = pair_folder(masks, '--adherence MASKS', 'held-out source pairs')
            self.segmentor = load_segmentor(seg_config, seg_checkpoint, '--adherence')
            self.seg_identity = dict(config=seg_config,
                                     checkpoint_sha256=file_sha256(seg_checkpoint))
        self.target = adherence_target and pair_folder(
            adherence_target, '--adherence-target', 'held-out real target pairs')

    # -- steps -----------------------------------------------------------------------------
    def runs(self) -> List[Tuple[Union[int, str], int]]:
        """(shots, seed) of every run, in the order they train."""
        return [(shots, seed) for shots in self.shots
                for seed in (self.seeds[:1] if shots == 'all' else self.seeds)]

    def run_dir(self, shots, seed) -> Path:
        return self.root / f'k{shots}_seed{seed}'

    def _run_cfg(self, shots, seed) -> Config:
        options = dict(self.cfg_options, **run_overrides(shots, seed))
        return step_config(self.config, self.run_dir(shots, seed), options)

    def _settings(self, key: tuple):
        if key[0] == 'align':
            return training_settings(self._run_cfg(*key[1:]))
        model, name, masks = key[1:]
        made_from = (dict(stage1_sha256=file_sha256(self.stage1_checkpoint()))
                     if model == 'stage1' else self.store.fingerprint(('align', *model)))
        return dict(model=made_from, masks=masks, segmentor=self.seg_identity, name=name)

    def align(self, shots, seed) -> str:
        """The final checkpoint of the run (trained once; resumed when interrupted)."""
        step, key = self.run_dir(shots, seed), ('align', shots, seed)
        done = self.store.reuse(step, key, 'sweep')
        if done is None:
            self.log(f'k={shots} seed={seed}: training in {step}')
            self.store.start(step, key)
            train(self._run_cfg(shots, seed))
            done = self.store.finish(step, key, dict(checkpoint=last_checkpoint(step),
                                                     shots=shots, seed=seed))
        return done['checkpoint']

    def stage1_checkpoint(self) -> str:
        """``model.stage1_checkpoint`` of the config after the sweep's overrides."""
        cfg = Config.fromfile(self.config)
        cfg.merge_from_dict(self.cfg_options)
        return cfg.model.stage1_checkpoint

    def adherence(self, model, name: str, masks: str) -> float:
        """Lesion Dice of the segmentor on pairs that ``model`` (``'stage1'`` or a run's
        ``(shots, seed)``) paints for the masks of ``masks``, in ``<run>/<name>``."""
        if model == 'stage1':
            step, checkpoint = self.root / 'stage1' / name, self.stage1_checkpoint()
            options = run_overrides(*self.runs()[0])
        else:
            step, checkpoint = self.run_dir(*model) / name, self.align(*model)
            options = run_overrides(*model)
        key = ('adherence', model, name, masks)
        done = self.store.reuse(step, key, 'sweep')
        if done is None:
            options = dict(self.cfg_options, **options, **{
                'test_dataloader.dataset.data_root': masks,
                'test_dataloader.dataset.indices': None})
            pairs = step / 'pairs'
            build_test_runner(self.config, checkpoint, options, str(step / 'test'),
                              out=str(pairs), overwrite=True,
                              experiment_name=f'adherence_{fingerprint(str(step))}').test()
            seg_model, seg_cfg = self.segmentor
            scores = score_pair_folder(seg_model, seg_cfg, str(pairs))
            done = self.store.finish(step, key, dict(scores, checkpoint=str(checkpoint),
                                                     masks=masks))
        return done['dice']

    # -- the whole sweep -------------------------------------------------------------------
    def run(self) -> Dict[str, List[dict]]:
        """Every run, then ``summary.json`` and ``summary.md``; returns the summary."""
        summary: Dict[str, List[dict]] = {}
        real = None
        if self.target:
            seg_model, seg_cfg = self.segmentor
            real = {f'adherence_real_{look}': score_pair_folder(seg_model, seg_cfg, pairs)['dice']
                    for look, pairs in (('source', self.masks), ('target', self.target))}
        for shots, seed in self.runs():
            self.align(shots, seed)
            work_dir = self.run_dir(shots, seed)
            records = val_records(work_dir)
            check_final_validation(work_dir, records)
            run = dict(summarise_run(records, self.metric), seed=seed)
            if self.segmentor is not None:
                run.update(adherence_stage1=self.adherence('stage1', 'adherence', self.masks),
                           adherence=self.adherence((shots, seed), 'adherence', self.masks))
            if self.target:
                run.update(real, adherence_target_stage1=self.adherence(
                    'stage1', 'adherence_target', self.target), adherence_target=self.adherence(
                    (shots, seed), 'adherence_target', self.target))
                try:
                    run['adherence_look_matched'] = look_matched_change(
                        run['adherence_stage1'], real['adherence_real_source'],
                        run['adherence_target'], real['adherence_real_target'])
                except ValueError:  # a segmentor that finds no lesion there: n/a in the table
                    run['adherence_look_matched'] = None
            summary.setdefault(str(shots), []).append(run)
        text = self.summary_text(summary)
        self.log(text)
        write_text_atomic(json.dumps(summary, indent=2), self.root / 'summary.json')
        write_text_atomic(text + '\n', self.root / 'summary.md')
        return summary

    def summary_text(self, summary: Dict[str, List[dict]]) -> str:
        text = table(summary, self.metric)
        if self.target:
            text += ('\n\nLesion Dice rated against the real pairs of each look:\n\n'
                     + look_table(summary))
        return text
