"""The sweep tool's reading and tabulation of logged validation scalars (no training)."""
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location(
    'alignment_sweep', Path(__file__).resolve().parents[2] / 'tools' / 'analysis' /
    'alignment_sweep.py')
sweep = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(sweep)


def write_scalars(work_dir: Path, kids, stamp='20260101_000000'):
    vis = work_dir / stamp / 'vis_data'
    vis.mkdir(parents=True)
    lines = []
    for step, kid in kids:
        lines.append(json.dumps(dict(loss=1.0, step=step)))  # a training record
        lines.append(json.dumps({'gen/kd_randomconv': kid, 'gen/hf_energy': 20.0 + step,
                                 'gen/hf_energy_real': 25.0, 'gen/diversity': 0.5,
                                 'gen/diversity_real': 0.6, 'step': step}))
    (vis / 'scalars.json').write_text('\n'.join(lines) + '\n')


def test_runs_are_summarised_before_best_and_last(tmp_path):
    write_scalars(tmp_path, [(0, 0.04), (25, 0.02), (50, 0.03)])
    records = sweep.val_records(tmp_path)
    assert [r['step'] for r in records] == [0, 25, 50]
    run = sweep.summarise_run(records, 'gen/kd_randomconv')
    assert run['before'] == 0.04 and run['after'] == 0.03 and run['best'] == 0.02
    assert run['best_step'] == 25 and run['change_pct'] == pytest.approx(-25.0)
    assert run['hf_energy_before'] == 20.0 and run['hf_energy'] == 70.0


def test_a_resumed_run_is_read_across_its_launches(tmp_path):
    write_scalars(tmp_path, [(0, 0.04), (25, 0.02), (50, 0.05), (75, 0.06)])
    scalars = tmp_path / '20260101_000000' / 'vis_data' / 'scalars.json'
    scalars.write_text(scalars.read_text() + '{"gen/kd_randomconv": 0.0')  # cut by a kill
    write_scalars(tmp_path, [(50, 0.03), (60, 0.01)], stamp='20260101_010000')
    records = sweep.val_records(tmp_path)
    assert [r['step'] for r in records] == [0, 25, 50, 60]  # the cut launch's 75 is dropped
    assert records[2]['gen/kd_randomconv'] == 0.03  # the later launch's entry wins


def test_a_run_cut_during_its_final_validation_is_named(tmp_path):
    write_scalars(tmp_path, [(0, 0.04), (25, 0.02)])
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_50.pth'))
    with pytest.raises(RuntimeError, match='last checkpoint is iteration 50 but the last '
                       'validation is of step 25'):
        sweep.check_final_validation(tmp_path, sweep.val_records(tmp_path))
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_25.pth'))
    sweep.check_final_validation(tmp_path, sweep.val_records(tmp_path))


def test_an_interrupted_run_resumes_and_a_finished_one_is_skipped(tmp_path, monkeypatch):
    commands = []
    monkeypatch.setattr(sweep.subprocess, 'call', lambda command, **kw: commands.append(command)
                        or 0)
    fresh, interrupted, finished = (tmp_path / name for name in ('fresh', 'cut', 'done'))
    interrupted.mkdir()
    (interrupted / 'last_checkpoint').write_text('iter_50.pth')
    finished.mkdir()
    (finished / 'done').touch()
    for work_dir in (fresh, interrupted, finished):
        sweep.train('cfg.py', work_dir, ['reference_split.k=5'])
    assert len(commands) == 2
    assert '--resume' not in commands[0] and '--resume' in commands[1]
    assert (fresh / 'done').exists() and (interrupted / 'done').exists()


def test_table_reports_mean_spread_and_extremes_over_draws(tmp_path):
    runs = []
    for seed, after in enumerate((0.01, 0.03)):
        work_dir = tmp_path / f'k5_seed{seed}'
        write_scalars(work_dir, [(0, 0.04), (25, after)])
        runs.append(sweep.summarise_run(sweep.val_records(work_dir), 'gen/kd_randomconv'))
    table = sweep.table({'5': runs}, 'gen/kd_randomconv')
    row = table.splitlines()[-1]
    assert row.startswith('| 5 | 2 | 0.0400 | 0.0200 ± 0.0100 | -50.0% (min -75.0, max -25.0)')
    assert '| 25, 25 |' in row  # where each draw's run ended


def test_overrides_set_the_one_reference_split():
    assert sweep.run_overrides('all', 3) == ['reference_split.k=all', 'reference_split.seed=3']


def test_a_run_without_logs_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match='no scalars.json'):
        sweep.val_records(tmp_path)


def test_the_c2st_share_is_tabulated_when_logged(tmp_path):
    write_scalars(tmp_path, [(0, 0.04), (25, 0.02)])
    scalars = next(tmp_path.glob('*/vis_data/scalars.json'))
    lines = [json.loads(line) for line in scalars.read_text().splitlines()]
    for record, share in zip([r for r in lines if 'gen/kd_randomconv' in r], (0.05, 0.40)):
        record.update({'gen/c2st_target_share': share, 'gen/c2st_accuracy': 0.95})
    scalars.write_text(''.join(json.dumps(r) + '\n' for r in lines))
    run = sweep.summarise_run(sweep.val_records(tmp_path), 'gen/kd_randomconv')
    assert run['c2st_before'] == 0.05 and run['c2st_after'] == 0.40
    row = sweep.table({'5': [run]}, 'gen/kd_randomconv').splitlines()[-1]
    assert row.endswith('| 0.050 / 0.400 ± 0.000 (0.950) | - |')


def test_the_diversity_in_other_networks_is_tabulated_when_logged(tmp_path):
    write_scalars(tmp_path, [(0, 0.04), (25, 0.02)])
    run = sweep.summarise_run(sweep.val_records(tmp_path), 'gen/kd_randomconv')
    assert '| 0.500 / 0.500 / 0.600 |' in sweep.table({'5': [run]}, 'gen/kd_randomconv')
    runs = [dict(run, diversity_ratio_before=0.9, diversity_ratio=after) for after in (0.8, 1.0)]
    assert '| 0.500 / 0.500 / 0.600; other networks 0.90 -> 0.90 of real |' in sweep.table(
        {'5': runs}, 'gen/kd_randomconv')


def test_adherence_is_tabulated_with_its_change_from_stage1(tmp_path):
    write_scalars(tmp_path, [(0, 0.04), (25, 0.02)])
    run = sweep.summarise_run(sweep.val_records(tmp_path), 'gen/kd_randomconv')
    row = sweep.table({'5': [run]}, 'gen/kd_randomconv').splitlines()[-1]
    assert row.endswith('| - |')  # not measured
    runs = [dict(run, adherence=a, adherence_stage1=0.5) for a in (0.4, 0.5)]
    row = sweep.table({'5': runs}, 'gen/kd_randomconv').splitlines()[-1]
    assert row.endswith('| 0.500 / 0.450 ± 0.050 (-10.0%) |')
    blind = [dict(run, adherence=0.0, adherence_stage1=0.0)]  # a segmentor that finds nothing
    row = sweep.table({'5': blind}, 'gen/kd_randomconv').splitlines()[-1]
    assert row.endswith('| 0.000 / 0.000 ± 0.000 (n/a) |')


def test_look_matched_adherence_is_tabulated_beside_the_plain_change():
    # Real pairs: the segmentor rates the target's look 30% lower (0.5 -> 0.35). Stage 1
    # scores 0.55 on source masks, 0.45 on target masks; the aligned runs 0.35 and 0.385 there.
    real = dict(adherence_real_source=0.5, adherence_real_target=0.35)
    runs = [dict(real, adherence_stage1=0.55, adherence_target_stage1=0.45, adherence_target=a,
                 adherence_look_matched=sweep_look(a)) for a in (0.35, 0.385)]
    row = sweep.look_table({'5': runs}).splitlines()[-1]
    assert row == ('| 5 | 2 | 0.500 / 0.350 | 0.550 / 0.450 | 0.350, 0.385 | -18.3% | '
                   '-4.5% (per draw -9.1, +0.0) |')
    blind = [dict(runs[0], adherence_look_matched=None)]  # a segmentor that finds nothing
    assert sweep.look_table({'5': blind}).splitlines()[-1].endswith('| -22.2% | n/a |')


def sweep_look(aligned_on_target):
    from alignflow.evaluation import look_matched_change
    return look_matched_change(0.55, 0.5, aligned_on_target, 0.35)


def test_target_adherence_needs_the_source_segmentor():
    with pytest.raises(SystemExit):
        sweep.parse_args(['cfg.py', '--work-root', 'w', '--adherence-target', 'pairs'])


def test_target_pairs_without_masks_are_refused_with_the_flag(tmp_path):
    (tmp_path / 'images').mkdir()
    with pytest.raises(FileNotFoundError, match='--adherence-target: .* needs a masks/'):
        sweep.pair_folder(str(tmp_path), '--adherence-target', 'held-out real target pairs')
    (tmp_path / 'masks').mkdir()
    assert sweep.pair_folder(str(tmp_path), '--adherence-target', 'pairs') == str(tmp_path)


def test_look_table_reads_n_a_for_a_stage1_that_finds_nothing_on_target_masks():
    run = dict(adherence_real_source=0.5, adherence_real_target=0.35, adherence_stage1=0.55,
               adherence_target_stage1=0.0, adherence_target=0.3, adherence_look_matched=None)
    assert sweep.look_table({'5': [run]}).splitlines()[-1].endswith('| 0.300 | n/a | n/a |')


def test_a_killed_sweep_takes_its_running_child_with_it(tmp_path):
    """``kill PID`` of the sweep must not leave the training run it waits for going."""
    child_pid = tmp_path / 'child.pid'
    script = tmp_path / 'sweep_like.py'
    script.write_text(
        'import importlib.util, subprocess, sys\n'
        f'spec = importlib.util.spec_from_file_location("s", {str(SPEC.origin)!r})\n'
        'sweep = importlib.util.module_from_spec(spec); spec.loader.exec_module(sweep)\n'
        'sweep.stop_children_on_sigterm()\n'
        'subprocess.call([sys.executable, "-c", "import os, time; '
        f'open({str(child_pid)!r}, \'w\').write(str(os.getpid())); time.sleep(120)"])\n')
    parent = subprocess.Popen([sys.executable, str(script)])
    deadline = time.monotonic() + 120
    while not (child_pid.exists() and child_pid.read_text()):
        assert parent.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=30) == 128 + signal.SIGTERM
    pid = int(child_pid.read_text())
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    pytest.fail(f'the child {pid} outlived the sweep')
