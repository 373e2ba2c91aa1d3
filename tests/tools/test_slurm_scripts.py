"""tools/slurm_{train,test}.sh hand srun the Slurm options and train.py/test.py their
arguments with --launcher slurm (a stand-in srun records what it was given)."""
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_srun(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    srun.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$SRUN_RECORD"\n')
    srun.chmod(0o755)
    env = dict(os.environ, PATH=f'{bin_dir}:{os.environ["PATH"]}',
               SRUN_RECORD=str(tmp_path / 'args'), GPUS='8', GPUS_PER_NODE='4',
               SRUN_ARGS='--qos=high --time=10')
    return env, tmp_path / 'args'


@pytest.mark.parametrize('script, positional, tool', [
    ('slurm_train.sh', ['configs/stage1/stage1_toy_32px.py'], 'train.py'),
    ('slurm_test.sh', ['configs/stage1/stage1_toy_32px.py', 'ckpt.pth'], 'test.py'),
])
def test_slurm_scripts_pass_slurm_options_and_tool_arguments(fake_srun, script, positional,
                                                             tool):
    env, record = fake_srun
    result = subprocess.run(['bash', f'tools/{script}', 'gpu', 'job1', *positional,
                             '--work-dir', 'w d'], cwd=REPO, env=env, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    args = record.read_text().splitlines()
    assert args[:6] == ['-p', 'gpu', '--job-name=job1', '--gres=gpu:4', '--ntasks=8',
                        '--ntasks-per-node=4']
    assert '--qos=high' in args and '--time=10' in args
    tail = args[args.index('-u') + 1:]
    assert tail[0].endswith(f'tools/{tool}')
    assert tail[1:] == [*positional, '--launcher', 'slurm', '--work-dir', 'w d']


def test_slurm_train_names_its_usage_without_arguments():
    result = subprocess.run(['bash', 'tools/slurm_train.sh'], cwd=REPO, capture_output=True,
                            text=True)
    assert result.returncode == 2 and result.stderr.startswith('usage: ')
