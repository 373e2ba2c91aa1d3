"""Run a stage-2 config over shot counts and reference draws, and tabulate the evidence.

For every (k, seed) it trains ``CONFIG`` with ``k`` references drawn with ``seed`` (skipping
finished runs, resuming interrupted ones), reads the validation metrics the run logged before
alignment (stage 1), during and after it, and writes ``summary.json`` and ``summary.md`` in the
work root: per shot count the mean and spread over draws of the distance to held-out target
images (in the config's evaluation space, which the reward does not use), high-frequency energy
and diversity next to those of real target images, the C2ST target share (when the config
measures it), and how the last checkpoint compares with the best one.

    python tools/analysis/alignment_sweep.py configs/alignflow/toy_5shot.py \\
        --shots 1 5 10 all --seeds 0 1 2 --work-root work_dirs/sweep_toy

``--adherence SEG_CONFIG SEG_CHECKPOINT MASKS`` also scores mask adherence: stage 1 and every
final checkpoint paint the masks of ``MASKS`` (held-out source pairs, ``images/`` + ``masks/``;
``tools/test.py --out`` writes them into each run's ``adherence_pairs``), and the segmentor
scores each image against its mask (lesion Dice per image, as
``tools/analysis/mask_adherence.py``); the table adds the mean and its change from stage 1.
That change assumes the look unchanged: a segmentor rates one domain's look above another's.
``--adherence-target PAIRS`` (held-out real target pairs, never references) also paints the
target's masks and scores the real pairs of both folders, and a second table gives the
look-matched change (:func:`alignflow.evaluation.look_matched_change`: each model rated
against the real pairs of the look it has), the bound for a model whose look is the target's.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from statistics import mean, pstdev
from typing import Dict, List

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.utils.atomic_io import write_text_atomic

REPO = Path(__file__).resolve().parents[2]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--shots', nargs='+', default=['1', '5', '10', 'all'])
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--work-root', required=True)
    parser.add_argument('--metric', default='gen/kd_randomconv',
                        help='validation scalar to tabulate (lower is better)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='extra overrides for every run, e.g. train_cfg.max_iters=300')
    parser.add_argument('--adherence', nargs=3, metavar=('SEG_CONFIG', 'SEG_CHECKPOINT', 'MASKS'),
                        help='also score mask adherence with this mmseg segmentor on pairs '
                        'painted for the masks of MASKS (held-out source pairs)')
    parser.add_argument('--adherence-target', metavar='PAIRS',
                        help='with --adherence: also paint the masks of these held-out real '
                        'target pairs and rate adherence against the real pairs of each look')
    args = parser.parse_args(argv)
    if args.adherence_target and not args.adherence:
        parser.error('--adherence-target needs --adherence SEG_CONFIG SEG_CHECKPOINT MASKS')
    return args


def run_overrides(shots: str, seed: int) -> List[str]:
    return [f'reference_split.k={shots}', f'reference_split.seed={seed}']


def _launch_records(path: Path) -> List[dict]:
    """The records of one ``scalars.json``; a line cut off by a killed process is skipped."""
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def val_records(work_dir: Path) -> List[dict]:
    """Validation entries of the run's ``scalars.json`` files (one JSON object per line).

    A resumed run logs into a new timestamped folder. The launches are read oldest first; a
    later launch replaces every earlier entry from its first logged step on, so stage 1
    (step 0) and the final checkpoint are both found and nothing of a cut launch survives past
    the point its successor resumed from."""
    scalars = sorted(work_dir.glob('*/vis_data/scalars.json'))
    if not scalars:
        raise FileNotFoundError(f'no scalars.json under {work_dir}; did the run fail?')
    by_step: Dict[int, dict] = {}
    for path in scalars:
        records = [r for r in _launch_records(path) if 'step' in r]
        if not records:
            continue
        resumed_at = min(r['step'] for r in records)
        by_step = {step: r for step, r in by_step.items() if step < resumed_at}
        by_step.update((r['step'], r) for r in records if any(k.startswith('gen/') for k in r))
    return [by_step[step] for step in sorted(by_step)]


def check_final_validation(work_dir: Path, records: List[dict]) -> None:
    """Raise when the last validation is not of the last checkpoint: a run cut during its final
    validation resumes past it and never validates that step again."""
    last = int(Path(last_checkpoint(work_dir)).stem.split('_')[-1])
    if records[-1]['step'] != last:
        raise RuntimeError(f'{work_dir}: the last checkpoint is iteration {last} but the last '
                           f"validation is of step {records[-1]['step']} (was the run cut "
                           'during its final validation?); delete the folder to rerun it')


def stop_children_on_sigterm() -> None:
    """Make SIGTERM (``kill PID``) end the sweep as Ctrl-C does: ``subprocess.call`` kills the
    training or painting run it waits for when its wait is interrupted by an exception, while
    the default SIGTERM action would end the sweep alone and leave that run going (two torch
    jobs on one machine, and a second sweep resuming into a folder still being written)."""
    def stop(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, stop)


def train(config: str, work_dir: Path, overrides: List[str]) -> None:
    """Train ``config`` into ``work_dir`` unless it finished; an interrupted run (it saved a
    checkpoint but has no ``done`` marker) resumes from its last checkpoint."""
    if (work_dir / 'done').exists():
        return
    resume = ['--resume'] if (work_dir / 'last_checkpoint').exists() else []
    command = [sys.executable, str(REPO / 'tools' / 'train.py'), config, '--work-dir',
               str(work_dir), *resume, '--cfg-options', *overrides]
    log = work_dir / 'sweep_stdout.log'
    work_dir.mkdir(parents=True, exist_ok=True)
    with open(log, 'a') as stream:
        code = subprocess.call(command, stdout=stream, stderr=subprocess.STDOUT)
    if code:
        raise RuntimeError(f'run {work_dir} failed (exit {code}); see {log}')
    (work_dir / 'done').touch()


def generate_pairs(config: str, checkpoint: str, out: Path, overrides: List[str],
                   masks: str) -> None:
    """``tools/test.py CONFIG CHECKPOINT --out OUT`` on the masks of the folder ``masks``."""
    command = [sys.executable, str(REPO / 'tools' / 'test.py'), config, checkpoint, '--out',
               str(out), '--overwrite', '--work-dir', str(out.parent / f'{out.name}_test'),
               '--cfg-options', *overrides, f'test_dataloader.dataset.data_root={masks}',
               'test_dataloader.dataset.indices=None']
    log = out.parent / f'{out.name}.log'
    with open(log, 'w') as stream:
        code = subprocess.call(command, stdout=stream, stderr=subprocess.STDOUT)
    if code:
        raise RuntimeError(f'painting the adherence masks with {checkpoint} failed (exit '
                           f'{code}); see {log}')


def pair_folder(folder: str, flag: str, what: str) -> str:
    """``folder`` as an absolute path, once it holds ``images/`` and ``masks/``."""
    folder = os.path.abspath(folder)
    if not all(os.path.isdir(os.path.join(folder, sub)) for sub in ('images', 'masks')):
        raise FileNotFoundError(f'{flag}: {folder} needs a masks/ subfolder and an images/ one '
                                f'({what})')
    return folder


class Adherence:
    """Lesion Dice of a segmentor on pairs painted for fixed masks, cached per work dir in
    ``<name>.json`` (with the checkpoint and the masks folder it scored)."""

    def __init__(self, seg_config: str, seg_checkpoint: str, masks: str):
        from alignflow.evaluation import load_segmentor
        from alignflow.utils import register_all_modules
        register_all_modules()
        self.masks = pair_folder(masks, '--adherence MASKS', 'held-out source pairs')
        self.model, self.cfg = load_segmentor(seg_config, seg_checkpoint, '--adherence')

    def real(self, folder: str) -> dict:
        """The segmentor's scores on the real pairs of ``folder``: the scale of its figures."""
        from alignflow.evaluation import score_pair_folder
        return score_pair_folder(self.model, self.cfg, folder)

    def __call__(self, config: str, checkpoint: str, work_dir: Path, overrides: List[str],
                 masks: str = None, name: str = 'adherence') -> dict:
        from alignflow.evaluation import score_pair_folder
        masks = masks or self.masks
        result = work_dir / f'{name}.json'
        if result.exists():  # reused while it scores the same checkpoint on the same masks
            cached = json.loads(result.read_text())
            if (cached['checkpoint'], cached['masks']) == (str(checkpoint), masks):
                return cached
        work_dir.mkdir(parents=True, exist_ok=True)
        pairs = work_dir / f'{name}_pairs'
        generate_pairs(config, checkpoint, pairs, overrides, masks)
        scores = dict(score_pair_folder(self.model, self.cfg, str(pairs)),
                      checkpoint=str(checkpoint), masks=masks)
        write_text_atomic(json.dumps(scores, indent=2), result)
        return scores


def stage1_checkpoint(config: str, overrides: List[str]) -> str:
    """``model.stage1_checkpoint`` of the config after the sweep's overrides."""
    from mmengine.config import Config, DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(parser.parse_args(['--cfg-options', *overrides]).cfg_options)
    return cfg.model.stage1_checkpoint


def last_checkpoint(work_dir: Path) -> str:
    marker = work_dir / 'last_checkpoint'
    if not marker.exists():
        raise FileNotFoundError(f'{work_dir} has no last_checkpoint; did the run save one?')
    return marker.read_text().strip()


def summarise_run(records: List[dict], metric: str) -> Dict[str, float]:
    first, last = records[0], records[-1]
    best = min(records, key=lambda r: r[metric])
    return dict(before=first[metric], after=last[metric], best=best[metric],
                best_step=best['step'], last_step=last['step'],
                change_pct=100 * (last[metric] - first[metric]) / abs(first[metric]),
                hf_energy=last.get('gen/hf_energy'), hf_energy_real=last.get('gen/hf_energy_real'),
                hf_energy_before=first.get('gen/hf_energy'),
                diversity=last.get('gen/diversity'), diversity_real=last.get('gen/diversity_real'),
                diversity_before=first.get('gen/diversity'),
                diversity_ratio=last.get('gen/diversity_ratio'),
                diversity_ratio_before=first.get('gen/diversity_ratio'),
                c2st_before=first.get('gen/c2st_target_share'),
                c2st_after=last.get('gen/c2st_target_share'),
                c2st_accuracy=last.get('gen/c2st_accuracy'))


def _c2st_cell(runs: List[dict]) -> str:
    """C2ST target share, stage 1 / after (classifier accuracy), or '-' when not measured."""
    if any(r.get('c2st_after') is None for r in runs):
        return '-'
    after = [r['c2st_after'] for r in runs]
    return (f"{mean(r['c2st_before'] for r in runs):.3f} / {mean(after):.3f} ± "
            f"{pstdev(after):.3f} ({mean(r['c2st_accuracy'] for r in runs):.3f})")


def _diversity_cell(runs: List[dict]) -> str:
    """Diversity, stage 1 / after / real, then (when the metric measured it,
    ``diversity_networks``) stage 1 -> after as a ratio to real over the other networks."""
    cell = (f"{mean(r['diversity_before'] for r in runs):.3f} / "
            f"{mean(r['diversity'] for r in runs):.3f} / {runs[0]['diversity_real']:.3f}")
    if all(r.get('diversity_ratio') is not None for r in runs):
        cell += (f"; other networks {mean(r['diversity_ratio_before'] for r in runs):.2f} -> "
                 f"{mean(r['diversity_ratio'] for r in runs):.2f} of real")
    return cell


def _adherence_cell(runs: List[dict]) -> str:
    """Lesion Dice, stage 1 / after (change), or '-' when not measured.

    A stage-1 Dice of 0 (a segmentor that finds no lesion) has no relative change, so the
    change reads 'n/a' rather than dividing by it.
    """
    if any(r.get('adherence') is None for r in runs):
        return '-'
    after = [r['adherence'] for r in runs]
    before = runs[0]['adherence_stage1']
    change = f'{100 * (mean(after) - before) / before:+.1f}%' if before > 0 else 'n/a'
    return f'{before:.3f} / {mean(after):.3f} ± {pstdev(after):.3f} ({change})'


def table(summary: Dict[str, List[dict]], metric: str) -> str:
    lines = [f'| shots | draws | {metric} stage 1 | after alignment | change | last vs best | '
             'ended at iteration | HF energy (stage 1 / after / real) | '
             'diversity (stage 1 / after / real) | C2ST target share (stage 1 / after; '
             'classifier accuracy) | lesion Dice (stage 1 / after) |',
             '|---|---|---|---|---|---|---|---|---|---|---|']
    for shots, runs in summary.items():
        after = [r['after'] for r in runs]
        change = [r['change_pct'] for r in runs]
        gap = [r['after'] - r['best'] for r in runs]
        lines.append(
            f"| {shots} | {len(runs)} | {mean(r['before'] for r in runs):.4f} | "
            f'{mean(after):.4f} ± {pstdev(after):.4f} | {mean(change):+.1f}% '
            f'(min {min(change):+.1f}, max {max(change):+.1f}) | +{mean(gap):.4f} | '
            f"{', '.join(str(r['last_step']) for r in runs)} | "
            f"{mean(r['hf_energy_before'] for r in runs):.1f} / "
            f"{mean(r['hf_energy'] for r in runs):.1f} / {runs[0]['hf_energy_real']:.1f} | "
            f'{_diversity_cell(runs)} | {_c2st_cell(runs)} | {_adherence_cell(runs)} |')
    return '\n'.join(lines)


def look_table(summary: Dict[str, List[dict]]) -> str:
    """Adherence rated against the real pairs of each look (``--adherence-target``): the
    segmentor's real-pair scale, stage 1 on both mask sets, the aligned runs on the target's
    masks, and the change under either assumption about the look."""
    lines = ['| shots | draws | real pairs (source / target masks) | stage 1 (source / target '
             'masks) | after, target masks (per draw) | change if the look is unchanged (target '
             'masks) | change if the look is the target\'s |',
             '|---|---|---|---|---|---|---|']
    for shots, runs in summary.items():
        first = runs[0]
        after = [r['adherence_target'] for r in runs]
        before = first['adherence_target_stage1']
        plain_cell = (f'{mean(100 * (a / before - 1) for a in after):+.1f}%' if before > 0
                      else 'n/a')
        if any(r['adherence_look_matched'] is None for r in runs):
            matched_cell = 'n/a'
        else:
            matched = [100 * r['adherence_look_matched'] for r in runs]
            matched_cell = (f"{mean(matched):+.1f}% (per draw "
                            f"{', '.join(f'{m:+.1f}' for m in matched)})")
        lines.append(
            f"| {shots} | {len(runs)} | {first['adherence_real_source']:.3f} / "
            f"{first['adherence_real_target']:.3f} | {first['adherence_stage1']:.3f} / "
            f"{first['adherence_target_stage1']:.3f} | {', '.join(f'{a:.3f}' for a in after)} | "
            f'{plain_cell} | {matched_cell} |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    root = Path(args.work_root)
    summary: Dict[str, List[dict]] = {}
    adherence = Adherence(*args.adherence) if args.adherence else None
    target = real = None
    if args.adherence_target:
        from alignflow.evaluation import look_matched_change
        target = pair_folder(args.adherence_target, '--adherence-target',
                             'held-out real target pairs')
        real = dict(adherence_real_source=adherence.real(adherence.masks)['dice'],
                    adherence_real_target=adherence.real(target)['dice'])
    for shots in args.shots:
        seeds = args.seeds[:1] if shots == 'all' else args.seeds
        for seed in seeds:
            work_dir = root / f'k{shots}_seed{seed}'
            print(f'k={shots} seed={seed}: {work_dir}', flush=True)
            overrides = run_overrides(shots, seed) + args.cfg_options
            train(args.config, work_dir, overrides)
            records = val_records(work_dir)
            check_final_validation(work_dir, records)
            run = dict(summarise_run(records, args.metric), seed=seed)
            if adherence is not None:
                stage1 = adherence(args.config, stage1_checkpoint(args.config, overrides),
                                   root / 'stage1', overrides)
                run.update(adherence_stage1=stage1['dice'], adherence=adherence(
                    args.config, last_checkpoint(work_dir), work_dir, overrides)['dice'])
            if target is not None:
                on_target = dict(masks=target, name='adherence_target')
                run.update(real, adherence_target_stage1=adherence(
                    args.config, stage1_checkpoint(args.config, overrides), root / 'stage1',
                    overrides, **on_target)['dice'], adherence_target=adherence(
                    args.config, last_checkpoint(work_dir), work_dir, overrides,
                    **on_target)['dice'])
                try:
                    run['adherence_look_matched'] = look_matched_change(
                        run['adherence_stage1'], real['adherence_real_source'],
                        run['adherence_target'], real['adherence_real_target'])
                except ValueError:  # a segmentor that finds no lesion there: n/a in the table
                    run['adherence_look_matched'] = None
            summary.setdefault(shots, []).append(run)
    text = table(summary, args.metric)
    if target is not None:
        text += ('\n\nLesion Dice rated against the real pairs of each look:\n\n'
                 + look_table(summary))
    print(text)
    for name, content in (('summary.json', json.dumps(summary, indent=2)),
                          ('summary.md', text + '\n')):
        write_text_atomic(content, root / name)


if __name__ == '__main__':
    stop_children_on_sigterm()
    main()
