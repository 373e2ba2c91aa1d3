"""Checkpoints are written atomically, and damaged ones are named with where they came from."""
import os

import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.runner import CheckpointLoader

from alignflow.utils.atomic_backend import AtomicLocalBackend
from alignflow.utils.checkpoint import (CheckpointMismatchError, check_checkpoint_file,
                                        check_weights_fit, load_checkpoint_weights,
                                        read_checkpoint)


def test_the_atomic_backend_replaces_whole_files_or_nothing(tmp_path, monkeypatch):
    backend = get_file_backend(str(tmp_path), backend_args=dict(backend='local_atomic'))
    assert isinstance(backend, AtomicLocalBackend)
    path = tmp_path / 'sub' / 'iter_1.pth'
    backend.put(b'old checkpoint', path)
    backend.put_text('iter_1.pth', tmp_path / 'last_checkpoint')
    assert path.read_bytes() == b'old checkpoint'
    assert (tmp_path / 'last_checkpoint').read_text() == 'iter_1.pth'

    def killed(fd):  # the process dies after writing, before the rename
        raise KeyboardInterrupt

    monkeypatch.setattr(os, 'fsync', killed)
    with pytest.raises(KeyboardInterrupt):
        backend.put(b'new checkpoint, never completed', path)
    assert path.read_bytes() == b'old checkpoint'
    assert sorted(p.name for p in path.parent.iterdir()) == ['iter_1.pth']  # no temporary left


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / 'iter_10.pth'
    torch.save(dict(state_dict=torch.nn.Linear(2, 2).state_dict()), path)
    return path


def test_damaged_files_are_named_with_their_source(checkpoint, tmp_path):
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(checkpoint.read_bytes()[:-100])
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    image = tmp_path / 'image.pth'
    image.write_bytes(b'\x89PNG\r\n\x1a\n' + b'0' * 64)
    check_checkpoint_file(str(checkpoint), '--resume')  # a good one passes
    with pytest.raises(ValueError, match=r'truncated.pth is truncated .*\(from --resume\)'):
        check_checkpoint_file(str(truncated), '--resume')
    with pytest.raises(ValueError, match=r'empty.pth is empty \(0 bytes\) \(from load_from\)'):
        check_checkpoint_file(str(empty), 'load_from')
    with pytest.raises(FileNotFoundError, match=r'nope.pth does not exist \(from '
                                                r'model.stage1_checkpoint\); train stage 1'):
        read_checkpoint(str(tmp_path / 'nope.pth'), 'model.stage1_checkpoint', 'train stage 1')
    with pytest.raises(ValueError, match=r'image.pth cannot be read \(from --weights\)'):
        read_checkpoint(str(image), '--weights')
    # mmengine's loader (resume, load_from, tools/test.py) names the file too
    for bad in (truncated, empty, image):
        with pytest.raises(ValueError, match=bad.name):
            CheckpointLoader.load_checkpoint(str(bad), map_location='cpu')


def test_weights_load_strictly_with_the_keys_that_differ(checkpoint):
    module = torch.nn.Linear(2, 2)
    load_checkpoint_weights(module, str(checkpoint))
    assert torch.equal(module.weight, torch.load(checkpoint)['state_dict']['weight'])
    with pytest.raises(CheckpointMismatchError, match=r'shape mismatch weight: checkpoint '
                                                      r'\(2, 2\) vs model \(3, 2\)'):
        load_checkpoint_weights(torch.nn.Linear(2, 3), str(checkpoint), what='the probe')
    with pytest.raises(CheckpointMismatchError, match=r'holds no head\.\* weights'):
        load_checkpoint_weights(module, str(checkpoint), prefix='head.')
    with pytest.raises(ValueError, match="has no 'ema_state_dict'"):
        load_checkpoint_weights(module, str(checkpoint), state_key='ema_state_dict')


def test_a_checkpoint_with_none_of_the_models_weights_is_refused(checkpoint, tmp_path):
    check_weights_fit(torch.nn.Linear(2, 2), str(checkpoint))  # fits: silent
    check_weights_fit(torch.nn.Linear(2, 3), str(checkpoint))  # partly: left to mmengine
    wrapped = torch.nn.Sequential(torch.nn.Linear(2, 2))  # the same weights under '0.'
    with pytest.raises(CheckpointMismatchError,
                       match=r'iter_10\.pth \(from --ckpt\) has none of the weights of the '
                             r'probe \(missing 0\.weight, 0\.bias; unexpected weight, bias\); '
                             r'do this'):
        check_weights_fit(wrapped, str(checkpoint), 'the probe', '--ckpt', 'do this')
    saved = tmp_path / 'saved.pth'
    torch.save(dict(state_dict=torch.nn.Linear(2, 2).state_dict(),
                    meta=dict(cfg="model = dict(type='MaskConditionedFlow')")), saved)
    with pytest.raises(CheckpointMismatchError, match='saved by a MaskConditionedFlow'):
        check_weights_fit(wrapped, str(saved))


def small_run_checkpoints(tmp_path, count=3):
    """``count`` checkpoints of one small model with different weights and BN counters."""
    paths = []
    for i in range(count):
        torch.manual_seed(i)
        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
        model[1].num_batches_tracked.fill_(10 * (i + 1))
        path = tmp_path / f'iter_{i}.pth'
        torch.save(dict(state_dict=model.state_dict(), meta=dict(iter=i, cfg='c'),
                        optimizer={'lr': 1}), path)
        paths.append(path)
    return paths


def test_average_is_the_mean_of_float_weights_and_the_last_integer_buffers(tmp_path):
    from alignflow.utils.checkpoint import average_checkpoints
    paths = small_run_checkpoints(tmp_path)
    states = [torch.load(p, weights_only=False)['state_dict'] for p in paths]
    averaged = average_checkpoints([str(p) for p in paths])
    assert sorted(averaged) == ['meta', 'state_dict']  # no optimizer: not for resuming
    for key, value in averaged['state_dict'].items():
        if value.is_floating_point():
            assert value.dtype == states[0][key].dtype
            assert torch.allclose(value, sum(s[key] for s in states) / 3), key
        else:
            assert torch.equal(value, states[-1][key]), key
    assert averaged['state_dict']['1.num_batches_tracked'].item() == 30
    assert averaged['meta']['iter'] == 2 and averaged['meta']['cfg'] == 'c'
    assert averaged['meta']['averaged_from'] == [str(p) for p in paths]


def test_average_refuses_one_checkpoint_and_checkpoints_of_other_models(tmp_path):
    from alignflow.utils.checkpoint import average_checkpoints
    paths = small_run_checkpoints(tmp_path, count=2)
    with pytest.raises(ValueError, match='needs 2 checkpoints or more'):
        average_checkpoints([str(paths[0])])
    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict=torch.nn.Linear(3, 5).state_dict()), other)
    with pytest.raises(CheckpointMismatchError,
                       match=r'other\.pth does not match .*iter_0\.pth \(missing 0\.weight'):
        average_checkpoints([str(paths[0]), str(other)])
    with pytest.raises(ValueError, match="has no 'ema_state_dict'"):
        average_checkpoints([str(p) for p in paths], state_key='ema_state_dict')
