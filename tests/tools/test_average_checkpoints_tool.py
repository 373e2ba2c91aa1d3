"""tools/analysis/average_checkpoints.py: writes the mean, never over an input or a file."""
import importlib.util
from pathlib import Path

import pytest
import torch

from alignflow.utils.checkpoint import load_checkpoint_weights

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    'average_checkpoints_tool', REPO / 'tools' / 'analysis' / 'average_checkpoints.py')
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)


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
    tool.main([str(out), *paths])
    model = torch.nn.Linear(2, 2)
    load_checkpoint_weights(model, str(out))
    first, second = (torch.load(p, weights_only=False)['state_dict'] for p in paths)
    assert torch.allclose(model.weight, (first['weight'] + second['weight']) / 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['iter_0.pth', 'iter_1.pth',
                                                           'mean.pth']  # no temporary left


def test_the_tool_never_writes_over_an_input_or_an_existing_file(tmp_path, capsys):
    paths = write_checkpoints(tmp_path)
    before = Path(paths[0]).read_bytes()
    with pytest.raises(SystemExit):
        tool.main([paths[0], *paths, '--overwrite'])
    assert 'is one of the checkpoints to average' in capsys.readouterr().err
    assert Path(paths[0]).read_bytes() == before
    existing = tmp_path / 'mean.pth'
    existing.write_bytes(b'mine')
    with pytest.raises(SystemExit):
        tool.main([str(existing), *paths])
    assert 'exists: name a new file or pass --overwrite' in capsys.readouterr().err
    assert existing.read_bytes() == b'mine'
    tool.main([str(existing), *paths, '--overwrite'])
    assert existing.read_bytes() != b'mine'
