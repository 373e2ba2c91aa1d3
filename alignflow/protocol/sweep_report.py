"""The alignment sweep's evidence: the validation metrics a stage-2 run logged before alignment
(stage 1), during and after it, summarised per run and tabulated per shot count."""
import json
from pathlib import Path
from statistics import mean, pstdev
from typing import Dict, List

from .store import last_checkpoint


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
