"""The alignment sweep's reading and tabulation of logged validation scalars, its resume and
staleness rules (no training)."""
import json
from pathlib import Path

import pytest

from alignflow.protocol import StaleArtefactError
from alignflow.protocol import sweep as sweep_runs
from alignflow.protocol import sweep_report as sweep
from alignflow.protocol.sweep import AlignmentSweep, pair_folder, run_overrides

REPO = Path(__file__).resolve().parents[2]


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
    trained = []

    def train(cfg):
        trained.append((Path(cfg.work_dir).name, cfg.resume))
        (Path(cfg.work_dir) / 'last_checkpoint').write_text(f'{cfg.work_dir}/iter_4.pth')

    monkeypatch.setattr(sweep_runs, 'train', train)
    config = str(REPO / 'configs/stage2/stage2_toy_5shot_32px.py')
    runs = AlignmentSweep(config, str(tmp_path), shots=[5], seeds=[0, 1, 2],
                          log=lambda line: None)
    interrupted, fresh = runs.run_dir(5, 1), runs.run_dir(5, 2)
    runs.store.start(interrupted, ('align', 5, 1))  # as a killed training leaves it
    (interrupted / 'last_checkpoint').write_text(f'{interrupted}/iter_2.pth')
    assert runs.align(5, 0).endswith('k5_seed0/iter_4.pth')
    runs.align(5, 1)
    assert trained == [('k5_seed0', True), ('k5_seed1', True)]  # resumes from its checkpoint
    trained.clear()
    again = AlignmentSweep(config, str(tmp_path), shots=[5], seeds=[0, 1, 2],
                           log=lambda line: None)
    assert again.align(5, 0) == runs.align(5, 0) and trained == []  # finished: re-read
    assert not fresh.exists()

    # Other settings, or a run of a sweep that recorded none (a `done` marker), are refused.
    other = AlignmentSweep(config, str(tmp_path), shots=[5], seeds=[0],
                           cfg_options={'optim_wrapper.optimizer.lr': 1e-3},
                           log=lambda line: None)
    with pytest.raises(StaleArtefactError, match='k5_seed0.*Delete every folder'):
        other.align(5, 0)
    legacy = tmp_path / 'k5_seed2'
    legacy.mkdir()
    (legacy / 'done').touch()
    (legacy / 'last_checkpoint').write_text(f'{legacy}/iter_4.pth')
    with pytest.raises(StaleArtefactError, match='did not record them'):
        again.align(5, 2)
    assert trained == []


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
    assert run_overrides('all', 3) == {'reference_split.k': 'all', 'reference_split.seed': 3}


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


def test_target_adherence_needs_the_source_segmentor(tmp_path):
    with pytest.raises(ValueError, match='adherence_target needs adherence'):
        AlignmentSweep('cfg.py', str(tmp_path), adherence_target='pairs')


def test_target_pairs_without_masks_are_refused_with_the_flag(tmp_path):
    (tmp_path / 'images').mkdir()
    with pytest.raises(FileNotFoundError, match='--adherence-target: .* needs a masks/'):
        pair_folder(str(tmp_path), '--adherence-target', 'held-out real target pairs')
    (tmp_path / 'masks').mkdir()
    assert pair_folder(str(tmp_path), '--adherence-target', 'pairs') == str(tmp_path)


def test_look_table_reads_n_a_for_a_stage1_that_finds_nothing_on_target_masks():
    run = dict(adherence_real_source=0.5, adherence_real_target=0.35, adherence_stage1=0.55,
               adherence_target_stage1=0.0, adherence_target=0.3, adherence_look_matched=None)
    assert sweep.look_table({'5': [run]}).splitlines()[-1].endswith('| 0.300 | n/a | n/a |')
