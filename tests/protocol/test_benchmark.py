"""What tools/benchmark.py does: a dry run lists the runs of a valid protocol and refuses, before
anything trains, a work dir whose finished steps were made with other settings."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from alignflow.datasets import write_toy_dataset
from alignflow.protocol import Protocol
from alignflow.protocol.benchmark import ProtocolError, dry_run, load_protocol

REPO = Path(__file__).resolve().parents[2]
TOY = str(REPO / 'configs/benchmark/toy.py')


@pytest.fixture
def folder_options(tmp_path):
    source = write_toy_dataset(tmp_path / 'source', num_samples=4, img_size=32, seed=0)
    target = write_toy_dataset(tmp_path / 'target', num_samples=8, img_size=32,
                               domain='target', seed=1)
    return {'source.data_root': str(source), 'targets.0.folder': str(target),
            'targets.0.num_heldout': 3}


def test_dry_run_lists_the_runs_then_refuses_a_stale_work_dir(folder_options, tmp_path):
    work_dir = tmp_path / 'work'
    protocol = load_protocol(TOY, folder_options)
    lines = []
    runs = dry_run(protocol, str(work_dir), log=lines.append)
    assert runs and 'finished steps match the protocol' in lines[0]
    assert len(lines) == 1 + len(runs)
    assert not work_dir.exists()  # a dry run writes nothing

    # A stage 1 finished with the protocol's settings is re-read; one finished by an AlignFlow
    # that recorded no fingerprint is refused.
    record = dict(checkpoint=str(work_dir / 'stage1' / 'iter_2.pth'),
                  fingerprint=Protocol(protocol, str(work_dir)).fingerprint(('stage1',)))
    (work_dir / 'stage1').mkdir(parents=True)
    (work_dir / 'stage1' / 'artefact.json').write_text(json.dumps(record))
    assert dry_run(protocol, str(work_dir), log=lines.append) == runs
    del record['fingerprint']
    (work_dir / 'stage1' / 'artefact.json').write_text(json.dumps(record))
    stale = re.escape(f'{work_dir}/stage1. ') + '.*Delete every folder'
    with pytest.raises(ProtocolError, match=stale):
        dry_run(protocol, str(work_dir), log=lines.append)


def test_a_bad_protocol_names_the_key(folder_options, tmp_path):
    with pytest.raises(ProtocolError, match='does not exist'):
        load_protocol(str(tmp_path / 'nope.py'))
    with pytest.raises(ProtocolError, match='toy.py: .*arms \\[\'fancy\'\\] are unknown'):
        load_protocol(TOY, dict(folder_options, arms=['real', 'fancy']))


def test_the_tool_is_a_wrapper_that_exits_with_the_message(folder_options, tmp_path):
    options = [f'{k}={v}' for k, v in folder_options.items()]
    command = [sys.executable, str(REPO / 'tools/benchmark.py'), TOY, '--dry-run',
               '--work-dir', str(tmp_path / 'work'), '--cfg-options', *options]
    listed = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    assert listed.returncode == 0, listed.stderr
    assert 'segmentor runs in' in listed.stdout
    refused = subprocess.run(command + ['arms=[fancy]'], capture_output=True, text=True,
                             cwd=REPO)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1].startswith('benchmark: ')
    assert 'Traceback' not in refused.stderr
