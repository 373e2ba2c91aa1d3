"""The average of a run's checkpoints (tools/analysis/average_checkpoints.py): writes the mean,
never over an input or a file."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from alignflow.utils.checkpoint import load_checkpoint_weights, write_average_checkpoint

REPO = Path(__file__).resolve().parents[2]


def write_checkpoints(tmp_path):
    paths = []
    for i in range(2):
        torch.manual_seed(i)
        path = tmp_path / f'iter_{i}.pth'
        torch.save(dict(state_dict=torch.nn.Linear(2, 2).state_dict()), path)
        paths.append(str(path))
    return paths


def test_the_tool_writes_the_mean_that_loads_into_the_model(tmp_path):
    paths = write_checkpoints(tmp_path)
    out = tmp_path / 'mean.pth'
    result = subprocess.run([sys.executable, 'tools/analysis/average_checkpoints.py', str(out),
                             *paths], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    model = torch.nn.Linear(2, 2)
    load_checkpoint_weights(model, str(out))
    first, second = (torch.load(p, weights_only=False)['state_dict'] for p in paths)
    assert torch.allclose(model.weight, (first['weight'] + second['weight']) / 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['iter_0.pth', 'iter_1.pth',
                                                          'mean.pth']  # no temporary left


def test_the_average_never_goes_over_an_input_or_an_existing_file(tmp_path):
    paths = write_checkpoints(tmp_path)
    before = Path(paths[0]).read_bytes()
    with pytest.raises(FileExistsError, match='is one of the checkpoints to average'):
        write_average_checkpoint(paths[0], paths, overwrite=True)
    assert Path(paths[0]).read_bytes() == before
    existing = tmp_path / 'mean.pth'
    existing.write_bytes(b'mine')
    with pytest.raises(FileExistsError, match='exists: name a new file or pass --overwrite'):
        write_average_checkpoint(str(existing), paths)
    assert existing.read_bytes() == b'mine'
    write_average_checkpoint(str(existing), paths, overwrite=True)
    assert existing.read_bytes() != b'mine'
