"""Independent protocol steps as submitit jobs: the waves, and two steps really running at once
on the local executor (each its own process) with the same table as a sequential run."""
import copy
import json

from alignflow.protocol import Protocol, seg_runs
from alignflow.protocol.launch import build_executor, run_as_jobs
from alignflow.protocol.store import ARTEFACT, STARTED


def test_the_steps_come_in_waves_each_made_from_the_ones_before(toy_protocol, tmp_path):
    protocol = toy_protocol(seeds=[0, 1], **{'targets.0.draws': [3, 4]})
    waves = Protocol(protocol, str(tmp_path)).waves()
    assert [sorted({key[0] for key in wave}) for wave in waves] == [
        ['mask_generator', 'stage1'], ['align'], ['synthetic'], ['distances'], ['segment']]
    assert waves[1] == [('align', 'toy_target', 3), ('align', 'toy_target', 4)]
    assert ('synthetic', 'stage1', None, None) in waves[2] and len(waves[2]) == 5
    assert len(waves[3]) == 5 and len(waves[4]) == len(seg_runs(protocol)) == 8

    stage1 = tmp_path / 'stage1.pth'
    stage1.write_bytes(b'weights')
    given = toy_protocol(arms=['real', 'stage1'], **{'stage1.checkpoint': str(stage1)})
    assert [[key[0] for key in wave] for wave in Protocol(given, str(tmp_path)).waves()] == [
        ['synthetic'], ['distances'], ['segment', 'segment']]  # a given stage 1 is not made


def test_two_segmentor_runs_run_at_once_as_local_jobs(toy_protocol, tmp_path):
    protocol = toy_protocol(arms=['real'], seeds=[0, 1], pair_draws_with_seeds=False)
    lines = []
    executor = build_executor('local', str(tmp_path / 'jobs_run'), timeout_min=10)
    records = run_as_jobs(protocol, str(tmp_path / 'jobs_run'), executor, max_parallel=2,
                          log=lines.append)
    assert sum('[jobs] segment' in line for line in lines) == 2
    steps = [tmp_path / 'jobs_run' / f'toy_target/seg/unet/real/seed{s}' for s in (0, 1)]
    started = [(step / STARTED).stat().st_mtime for step in steps]
    finished = [(step / ARTEFACT).stat().st_mtime for step in steps]
    assert started[0] < finished[1] and started[1] < finished[0]  # they overlapped
    assert len(list((tmp_path / 'jobs_run' / 'jobs').glob('*/*_log.out'))) == 2

    sequential = Protocol(copy.deepcopy(protocol), str(tmp_path / 'sequential'),
                          log=lambda line: None).run()
    strip = ('checkpoint', )
    assert [{k: v for k, v in r.items() if k not in strip} for r in records] == \
        [{k: v for k, v in r.items() if k not in strip} for r in sequential]
    again = []
    run_as_jobs(protocol, str(tmp_path / 'jobs_run'), executor, log=again.append)
    assert not any('[jobs]' in line for line in again)  # finished steps are not submitted
    assert json.loads((steps[0] / ARTEFACT).read_text())['seed'] == 0
