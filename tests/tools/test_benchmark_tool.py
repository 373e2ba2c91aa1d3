"""tools/benchmark.py: --dry-run lists the runs of a valid protocol and refuses, before anything
trains, a work dir whose finished steps were made with other settings."""
import importlib.util
import json
import re
from pathlib import Path

import pytest
from mmengine.config import Config

from alignflow.apis.benchmark import Protocol
from alignflow.datasets import write_toy_dataset

REPO = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location('benchmark_tool', REPO / 'tools' / 'benchmark.py')
benchmark_tool = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(benchmark_tool)


def test_dry_run_lists_the_runs_then_refuses_a_stale_work_dir(tmp_path, capsys):
    source = write_toy_dataset(tmp_path / 'source', num_samples=4, img_size=32, seed=0)
    target = write_toy_dataset(tmp_path / 'target', num_samples=8, img_size=32,
                               domain='target', seed=1)
    work_dir = tmp_path / 'work'
    argv = [str(REPO / 'configs/benchmark/toy.py'), '--dry-run', '--work-dir', str(work_dir),
            '--cfg-options', f'source.data_root={source}', f'targets.0.folder={target}']
    runs = benchmark_tool.main(argv)
    assert runs and 'finished steps match the protocol' in capsys.readouterr().out
    assert not work_dir.exists()  # a dry run writes nothing

    # A stage 1 finished with the protocol's settings is re-read; one finished by an AlignFlow
    # that recorded no fingerprint is refused.
    protocol = Config.fromfile(argv[0])
    protocol.merge_from_dict({'source.data_root': str(source), 'targets.0.folder': str(target)})
    record = dict(checkpoint=str(work_dir / 'stage1' / 'iter_2.pth'),
                  fingerprint=Protocol(protocol, str(work_dir)).fingerprint(('stage1',)))
    (work_dir / 'stage1').mkdir(parents=True)
    (work_dir / 'stage1' / 'artefact.json').write_text(json.dumps(record))
    assert benchmark_tool.main(argv) == runs
    del record['fingerprint']
    (work_dir / 'stage1' / 'artefact.json').write_text(json.dumps(record))
    stale = re.escape(f'{work_dir}/stage1. ') + '.*Delete every folder'
    with pytest.raises(SystemExit, match=stale):
        benchmark_tool.main(argv)
