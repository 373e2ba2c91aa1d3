"""How well the reference-only health check predicts held-out truth, over finished stage-2 runs.

A stage-2 run on a user's own few frames can only be judged against those frames
(``ReferenceCheckMetric`` and the verdict of :func:`alignflow.evaluation.judge_alignment`).
Runs that also had held-out target images (the ``alignment_sweep`` runs, whose validation
logged the C2ST target share) say how far that judgement can be trusted. For every run dir
given, at every validation that logged the held-out C2ST share and left a checkpoint (the
validation before training tests the run's stage-1 checkpoint), this tool scores the same
model with ``ReferenceCheckMetric`` against the run's own references, then reports the rank
correlation of each reference-only figure with the held-out share and how the verdicts split
the draws below and above a share of 25%:

    python tools/analysis/health_check_validation.py work_dirs/sweep/k5_seed0 \\
        work_dirs/sweep/k5_seed1 --out work_dirs/health_check_validation.json

Each row is stored in ``--out`` as it is measured; a second invocation reuses them.
"""
import argparse
import glob
import json
import os
import os.path as osp
import tempfile
from typing import Dict, List

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from mmengine.config import Config
from alignflow.apis.testing import build_test_runner
from alignflow.evaluation import judge_alignment
from alignflow.utils.atomic_io import write_text_atomic

SHARE = 'gen/c2st_target_share'
FAILED_BELOW = 0.25


def run_config(run_dir: str) -> str:
    """The config a run dir holds (what tools/train.py dumped there)."""
    configs = glob.glob(osp.join(run_dir, '*.py'))
    if len(configs) != 1:
        raise SystemExit(f'health_check_validation: {run_dir} holds {len(configs)} configs '
                         '(*.py); give the work dir of one tools/train.py run')
    return configs[0]


def logged_shares(run_dir: str) -> Dict[int, float]:
    """Step -> held-out C2ST target share, from every scalars.json of the run."""
    shares = {}
    for path in sorted(glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if SHARE in record:
                    shares[int(record['step'])] = float(record[SHARE])
    if not shares:
        raise SystemExit(f'health_check_validation: no validation of {run_dir} logged {SHARE}; '
                         'give runs whose config validates on held-out target images')
    return shares


def reference_check(config: str, checkpoint: str, references: List[str]) -> Dict[str, float]:
    """``ReferenceCheckMetric``'s figures for ``checkpoint`` tested under ``config``."""
    # The images validation painted: the val set's masks (a sweep sets only its data_root).
    val_dataloader = Config.fromfile(config).val_dataloader.to_dict()
    options = dict(test_evaluator=dict(_delete_=True, type='ReferenceCheckMetric',
                                       references=references),
                   test_dataloader=dict(_delete_=True, **val_dataloader))
    with tempfile.TemporaryDirectory() as work_dir:
        # A name of its own: mmengine reuses the visualizer of a run with the same name, and
        # two tests started within one second would share one (and its deleted folder).
        metrics = build_test_runner(config, checkpoint, options, work_dir=work_dir,
                                    experiment_name=osp.basename(work_dir)).test()
    return {key.split('/', 1)[1]: float(value) for key, value in metrics.items()
            if key.startswith('refcheck/')}


def measure(run_dirs: List[str], rows: List[dict], save) -> List[dict]:
    done = {(row['run'], row['step']) for row in rows}
    for run_dir in run_dirs:
        config = run_config(run_dir)
        with open(osp.join(run_dir, 'reference_split.json')) as f:
            references = json.load(f)['references']
        stage1 = Config.fromfile(config).model.stage1_checkpoint
        for step, share in sorted(logged_shares(run_dir).items()):
            checkpoint = stage1 if step == 0 else osp.join(run_dir, f'iter_{step}.pth')
            if (run_dir, step) in done or not osp.isfile(checkpoint):
                continue
            stage1_row = next((row for row in rows if row['step'] == 0 and
                               row['checkpoint'] == checkpoint and
                               row['references'] == references), None)
            figures = (stage1_row['refcheck'] if stage1_row is not None
                       else reference_check(config, checkpoint, references))
            rows.append(dict(run=run_dir, step=step, checkpoint=checkpoint,
                             references=references, heldout_share=share, refcheck=figures))
            save(rows)
    return rows


def spearman(xs: List[float], ys: List[float]) -> float:
    from scipy.stats import spearmanr
    return float(spearmanr(xs, ys).statistic)


def report(rows: List[dict]) -> str:
    baselines = {row['run']: row['refcheck'] for row in rows if row['step'] == 0}
    lines = ['| run | step | held-out C2ST share | reference C2ST share (accuracy) | '
             'hf_energy_ratio | diversity_ratio | verdict |',
             '|---|---:|---:|---:|---:|---:|---|']
    judged = []
    for row in rows:
        figures = row['refcheck']
        verdict = judge_alignment(figures, baselines.get(row['run']))
        share = figures.get('c2st_target_share', float('nan'))
        lines.append(f'| {row["run"]} | {row["step"]} | {row["heldout_share"]:.3f} | '
                     f'{share:.3f} ({figures.get("c2st_accuracy", float("nan")):.2f}) | '
                     f'{figures["hf_energy_ratio"]:.2f} | '
                     f'{figures.get("diversity_ratio", float("nan")):.2f} | {verdict.label} |')
        if row['step'] > 0:
            judged.append((row['heldout_share'], figures, verdict))
    lines.append('')
    shares = [share for share, _, _ in judged]
    for name in ('c2st_target_share', 'loo_ratio', 'hf_energy_ratio', 'diversity_ratio', 'mmd'):
        values = [figures.get(name) for _, figures, _ in judged]
        if None not in values and len(values) > 2:
            lines.append(f'Spearman rank correlation of {name} with the held-out share over '
                         f'{len(values)} trained checkpoints: {spearman(values, shares):+.2f}')
    for failed in (True, False):
        group = [v.label for share, _, v in judged if (share < FAILED_BELOW) == failed]
        counts = ', '.join(f'{group.count(label)} {label}'
                           for label in ('took', 'unsure', 'did not take'))
        lines.append(f'held-out share {"below" if failed else "at or above"} {FAILED_BELOW:.0%}'
                     f' ({len(group)} checkpoints): {counts}')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('run_dirs', nargs='+', help='work dirs of finished stage-2 runs')
    parser.add_argument('--out', required=True, help='JSON file of the measured rows')
    args = parser.parse_args(argv)
    rows = []
    if osp.isfile(args.out):
        with open(args.out) as f:
            rows = json.load(f)
    run_dirs = [osp.normpath(d) for d in args.run_dirs]
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    rows = measure(run_dirs, rows, lambda r: write_text_atomic(json.dumps(r, indent=1), args.out))
    print(report([row for row in rows if row['run'] in run_dirs]))


if __name__ == '__main__':
    main()
