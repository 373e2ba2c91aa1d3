"""Let mmengine 0.10.x load its own checkpoints under torch >= 2.6.

torch 2.6 made ``torch.load(weights_only=True)`` the default. mmengine 0.10.7 (the latest
release) calls ``torch.load`` without the argument, and its checkpoints carry the message hub
(``HistoryBuffer`` with numpy arrays), so ``--resume`` and ``load_from`` fail with
``UnpicklingError``. This replaces mmengine's local-file loader through its own extension point
(``CheckpointLoader.register_scheme``) with one that loads as mmengine did before torch 2.6
(``weights_only=False``), which is also what later mmengine sources do. As with any pickle,
only load checkpoints you trust.
"""
import os.path as osp

import torch
from mmengine.runner.checkpoint import CheckpointLoader


def load_from_local_trusted(filename: str, map_location=None) -> dict:
    """mmengine's ``load_from_local`` with ``weights_only=False``; a missing, empty, truncated
    or unreadable file raises an error that names it (whatever loads it: ``--resume``,
    ``load_from``, ``tools/test.py``)."""
    from .checkpoint import check_checkpoint_file
    filename = osp.expanduser(filename)
    check_checkpoint_file(filename)
    try:
        return torch.load(filename, map_location=map_location, weights_only=False)
    except Exception as error:  # zip, pickle and storage errors of torch
        raise ValueError(f'checkpoint {filename} cannot be read: it is corrupt or not a '
                         f'checkpoint ({type(error).__name__}: {error})') from error


def install_trusted_checkpoint_loader() -> None:
    """Register :func:`load_from_local_trusted` for local paths (idempotent)."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_trusted, force=True)
