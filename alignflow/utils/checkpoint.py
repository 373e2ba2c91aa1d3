"""Load a module's weights from an mmengine checkpoint, with errors that say what to do.

One helper for every place that loads part of a checkpoint (the stage-1 generator of stage 2,
an exported generator, the velocity net of a feature extractor, a segmentor's backbone): it
reads the file through mmengine's public ``CheckpointLoader`` (any scheme mmengine knows:
local paths, URLs, ...), picks one entry (``state_dict``, ``ema_state_dict``), keeps the keys
under a prefix with the prefix removed, and loads them strictly, so a file that does not fit
is named with what is missing, unexpected or of another shape. Also the uniform average of
several checkpoints of one run (:func:`average_checkpoints`), read the same way.
"""
import os.path as osp
import zipfile
from typing import Dict, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.runner import CheckpointLoader
from mmengine.runner.checkpoint import save_checkpoint


class CheckpointMismatchError(ValueError, RuntimeError):
    """A checkpoint's weights do not fit the module (missing, unexpected or other shapes).

    Both a ``ValueError`` (a bad input) and a ``RuntimeError`` (what ``load_state_dict``
    raises), so code written against either keeps catching it."""


def _preview(keys, limit: int = 3) -> str:
    keys = list(keys)
    more = f' (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def _mismatch(state: Dict[str, torch.Tensor], expected: Dict[str, torch.Tensor],
              prefix: str = '', expected_name: str = 'model') -> str:
    """What differs between a checkpoint's state dict and the one it should match
    (``expected_name``'s): missing and unexpected keys, other shapes ('' when they match)."""
    missing = [prefix + k for k in expected if k not in state]
    unexpected = [prefix + k for k in state if k not in expected]
    shapes = [f'{prefix}{k}: checkpoint {tuple(state[k].shape)} vs {expected_name} '
              f'{tuple(v.shape)}'
              for k, v in expected.items() if k in state and state[k].shape != v.shape]
    return '; '.join(filter(None, [
        f'missing {_preview(missing)}' if missing else '',
        f'unexpected {_preview(unexpected)}' if unexpected else '',
        f'shape mismatch {_preview(shapes)}' if shapes else '']))


def check_checkpoint_file(checkpoint: str, source: Optional[str] = None, hint: str = '') -> None:
    """Fail early, naming the file (and the config key or flag it came from, ``source``), when
    a local checkpoint is missing, empty, or a truncated zip archive (what a run killed while
    saving leaves behind). Other paths (URLs, other schemes) are left to their loader."""
    if '://' in str(checkpoint):
        return
    origin = f' (from {source})' if source else ''
    advice = f'; {hint}' if hint else ''
    path = osp.expanduser(str(checkpoint))
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist{origin}{advice}')
    if osp.getsize(path) == 0:
        raise ValueError(f'checkpoint {checkpoint} is empty (0 bytes){origin}: a save was '
                         f'interrupted or the file is not a checkpoint{advice}')
    with open(path, 'rb') as f:
        magic = f.read(4)
    if magic == b'PK\x03\x04' and not zipfile.is_zipfile(path):
        raise ValueError(f'checkpoint {checkpoint} is truncated ({osp.getsize(path)} bytes, its '
                         f'zip archive has no end){origin}: a save was interrupted. Use the '
                         f'checkpoint before it (the work dir keeps several) or train '
                         f'again{advice}')


def read_checkpoint(checkpoint: str, source: Optional[str] = None, hint: str = '') -> dict:
    """The checkpoint as a dict, or an error naming the file (and the config key or flag it
    came from, ``source``) when it is missing, unreadable or not a checkpoint."""
    check_checkpoint_file(checkpoint, source, hint)
    origin = f' (from {source})' if source else ''
    advice = f'; {hint}' if hint else ''
    try:
        ckpt = CheckpointLoader.load_checkpoint(str(checkpoint), map_location='cpu')
    except FileNotFoundError as error:
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist{origin}{advice}') \
            from error
    except Exception as error:  # torch raises RuntimeError/UnpicklingError/EOFError/...
        raise ValueError(f'checkpoint {checkpoint} cannot be read{origin}: it is corrupt or not '
                         f'a checkpoint ({type(error).__name__}: {error}){advice}') from error
    if not isinstance(ckpt, dict):
        raise ValueError(f'checkpoint {checkpoint} holds a {type(ckpt).__name__}, not a dict of '
                         f'weights{origin}{advice}')
    return ckpt


def checkpoint_weights(ckpt: dict, checkpoint: str, prefix: str = '',
                       state_key: str = 'state_dict', hint: str = '') -> Dict[str, torch.Tensor]:
    """The ``state_key`` entry of a read checkpoint (the dict itself when it is a bare state
    dict and ``state_key`` is ``'state_dict'``), restricted to keys under ``prefix`` with the
    prefix removed."""
    if state_key in ckpt:
        state = ckpt[state_key]
    elif state_key == 'state_dict' and all(torch.is_tensor(v) for v in ckpt.values()):
        state = ckpt
    else:
        raise ValueError(f'{checkpoint} has no {state_key!r} (keys: {sorted(ckpt)})'
                         + (f'; {hint}' if hint else ''))
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def load_checkpoint_weights(module: torch.nn.Module, checkpoint: str, prefix: str = '',
                            state_key: str = 'state_dict', what: str = 'the model',
                            source: Optional[str] = None, hint: str = '',
                            ckpt: Optional[dict] = None) -> None:
    """Load the weights under ``prefix`` of ``checkpoint`` into ``module``, strictly.

    Args:
        module: the module to fill.
        checkpoint: file or URL of an mmengine checkpoint (or a bare state dict).
        prefix: keep only the keys that start with it (e.g. ``'velocity_net.'``), stripped.
        state_key: the entry to read, e.g. ``'state_dict'`` or ``'ema_state_dict'``.
        what: how errors name the module, e.g. ``'the generator in this config'``.
        source: the config key or flag the path came from, e.g. ``'model.stage1_checkpoint'``.
        hint: what to do, appended to errors.
        ckpt: the checkpoint already read (by :func:`read_checkpoint`), to read it once.

    Raises:
        FileNotFoundError: no such file.
        ValueError: unreadable, or no ``state_key`` entry.
        CheckpointMismatchError: keys missing, unexpected or of another shape.
    """
    ckpt = read_checkpoint(checkpoint, source, hint) if ckpt is None else ckpt
    state = checkpoint_weights(ckpt, checkpoint, prefix, state_key, hint)
    own = module.state_dict()
    if prefix and not state:
        raise CheckpointMismatchError(
            f'{checkpoint} holds no {prefix}* weights in {state_key!r}, so it does not match '
            f'{what} (missing {_preview([prefix + k for k in own])})'
            + (f'; {hint}' if hint else ''))
    details = _mismatch(state, own, prefix)
    if details:
        raise CheckpointMismatchError(f'{checkpoint} does not match {what} ({details})'
                                      + (f'; {hint}' if hint else ''))
    module.load_state_dict(state, strict=True)


def check_weights_fit(module: torch.nn.Module, checkpoint: str, what: str = 'the model',
                      source: Optional[str] = None, hint: str = '') -> None:
    """Refuse a checkpoint whose ``state_dict`` shares no key with ``module``.

    mmengine's ``load_from`` loads non-strictly and only logs the missing and unexpected keys,
    so a checkpoint of another model (a stage-1 one given to a stage-2 config) would leave the
    model as built and be evaluated as if loaded. Partial fits are left to mmengine's warning.

    Raises:
        CheckpointMismatchError: no key of the checkpoint is one of ``module``'s.
    """
    ckpt = read_checkpoint(checkpoint, source, hint)
    state = checkpoint_weights(ckpt, checkpoint, hint=hint)
    own = module.state_dict()
    if state and own and not state.keys() & own.keys():
        saved = saved_model_type(ckpt)
        origin = f' (from {source})' if source else ''
        kind = f', saved by a {saved},' if saved else ''
        raise CheckpointMismatchError(
            f'checkpoint {checkpoint}{origin}{kind} has none of the weights of {what} '
            f'({_mismatch(state, own)})' + (f'; {hint}' if hint else ''))


def saved_config(ckpt: dict):
    """The config an mmengine run stored in a checkpoint's ``meta['cfg']`` (an
    :class:`mmengine.config.Config`), or None when it has none or it cannot be parsed."""
    text = (ckpt.get('meta') or {}).get('cfg')
    if not isinstance(text, str):
        return None
    try:
        return Config.fromstring(text, '.py')
    except Exception:  # a config that needs imports or files this process lacks
        return None


def saved_model_type(ckpt: dict) -> Optional[str]:
    """The ``model.type`` of :func:`saved_config`, or None."""
    cfg = saved_config(ckpt)
    return None if cfg is None else cfg.get('model', {}).get('type')


def check_resumable(checkpoint: str, source: str = '--resume') -> None:
    """Refuse to resume from a file :func:`average_checkpoints` wrote: it holds weights without
    optimizer state, and mmengine would go on from the last averaged iteration with a fresh
    optimizer, silently. Reads the file once more than the resume itself (explicit resume paths
    only); URLs and files that cannot be read are left to the runner's own errors."""
    if '://' in str(checkpoint):
        return
    averaged = (read_checkpoint(checkpoint, source).get('meta') or {}).get('averaged_from')
    if averaged:
        raise ValueError(f'checkpoint {checkpoint} (from {source}) is an average of '
                         f'{len(averaged)} checkpoints: weights only, no optimizer or training '
                         f'state. Resume from the last of them ({averaged[-1]}), or start a new '
                         f'run from its weights with load_from={checkpoint}')


def average_checkpoints(checkpoints: Sequence[str], state_key: str = 'state_dict') -> dict:
    """The uniform average of the ``state_key`` weights of several checkpoints of one run.

    A post-hoc stand-in for an EMA of the weights (a "model soup" of one run): a stage-2 run
    whose look swings from checkpoint to checkpoint ends where its budget happens to stop, and
    the mean of its last kept checkpoints does not (docs/notes/study_log.md). Floating-point tensors
    are averaged in float64 and cast back; the others (integer buffers such as BN's
    ``num_batches_tracked``) are the last checkpoint's. mmengine averages weights during
    training (``EMAHook``) but not saved files, hence this.

    Returns a checkpoint dict: ``state_dict`` (the average, whichever ``state_key`` it came
    from) and the last checkpoint's ``meta`` (its config, for tools that read it) with
    ``averaged_from`` (the files) added. It holds no optimizer state: it is for testing and
    sampling; :func:`check_resumable` refuses it as a resume point.

    Raises:
        ValueError: fewer than 2 checkpoints, or one unreadable or without ``state_key``.
        CheckpointMismatchError: keys or shapes that differ between the checkpoints.
    """
    if len(checkpoints) < 2:
        raise ValueError(f'average_checkpoints needs 2 checkpoints or more, got '
                         f'{len(checkpoints)}: {list(checkpoints)}')
    first = str(checkpoints[0])
    reference: Dict[str, torch.Tensor] = {}
    total: Dict[str, torch.Tensor] = {}
    for path in checkpoints:
        ckpt = read_checkpoint(str(path), 'the checkpoints to average')
        state = checkpoint_weights(ckpt, str(path), state_key=state_key)
        if not reference:
            reference = state
        details = _mismatch(state, reference, expected_name='first')
        if details:
            raise CheckpointMismatchError(f'{path} does not match {first} ({details}): '
                                          f'average checkpoints of one run (one config)')
        for key, value in state.items():
            total[key] = (total.get(key, 0) + value.double() if value.is_floating_point()
                          else value)
    average = {k: (v / len(checkpoints)).to(reference[k].dtype)
               if reference[k].is_floating_point() else v for k, v in total.items()}
    meta = dict(ckpt.get('meta') or {}, averaged_from=[str(p) for p in checkpoints])
    return {'state_dict': average, 'meta': meta}


def write_average_checkpoint(out: str, checkpoints: Sequence[str],
                             state_key: str = 'state_dict', overwrite: bool = False) -> None:
    """Write :func:`average_checkpoints` of ``checkpoints`` to ``out``, whole or not at all
    (a temporary name, then a rename), never over one of its inputs, and over an existing
    file only with ``overwrite``.

    Raises:
        FileExistsError: ``out`` is an input, or exists without ``overwrite``.
    """
    inputs = {osp.realpath(path) for path in checkpoints}
    if osp.realpath(out) in inputs:
        raise FileExistsError(f'OUT {out} is one of the checkpoints to average: name a new file')
    if osp.exists(out) and not overwrite:
        raise FileExistsError(f'OUT {out} exists: name a new file or pass --overwrite')
    averaged = average_checkpoints(checkpoints, state_key)
    # As the runner's CheckpointHook saves (the schedule bases): a temporary name, then a rename.
    save_checkpoint(averaged, out, backend_args=dict(backend='local_atomic'))
