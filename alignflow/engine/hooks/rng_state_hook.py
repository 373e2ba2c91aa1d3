"""Save random-number-generator states in checkpoints so a resumed run replays exactly."""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook

from alignflow.registry import HOOKS


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Store the torch/CUDA/numpy/python RNG states in every checkpoint and restore them when
    training resumes.

    mmengine re-seeds a resumed run from the start seed, so the noise and times a flow draws
    after a resume differ from the uninterrupted run. With this hook, a single-process CPU run
    that is stopped and resumed ends with the same weights as one that never stopped, as long
    as data augmentation runs in dataloader workers (``num_workers >= 1``: mmengine seeds
    workers deterministically and replays them while it skips the batches already trained).

    Validation is made RNG-neutral too (states are saved before it and restored after it), so
    how often a run validates does not change what it trains on.

    The states are restored just before the first iteration after the resume, after mmengine
    has skipped the trained batches. Checkpoints are written by rank 0 only, so with several
    processes every rank restores rank 0's state and then draws a rank-specific seed from it:
    deterministic, but not identical to an uninterrupted distributed run.
    """

    priority = 'VERY_HIGH'

    def __init__(self):
        self._pending: Optional[dict] = None
        self._before_val: Optional[dict] = None

    @staticmethod
    def get_state() -> dict:
        state = dict(torch=torch.get_rng_state(), numpy=np.random.get_state(),
                     python=random.getstate())
        if torch.cuda.is_available():
            state['cuda'] = torch.cuda.get_rng_state_all()
        return state

    @staticmethod
    def set_state(state: dict) -> None:
        torch.set_rng_state(state['torch'].cpu())
        np.random.set_state(state['numpy'])
        random.setstate(state['python'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all([s.cpu() for s in state['cuda']])

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['rng_state'] = self.get_state()

    def before_val(self, runner) -> None:
        self._before_val = self.get_state()

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            self.set_state(self._before_val)
            self._before_val = None

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if runner._resume and 'rng_state' in checkpoint:
            self._pending = checkpoint['rng_state']

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self._pending is None:
            return
        self.set_state(self._pending)
        self._pending = None
        if get_world_size() > 1:
            torch.manual_seed(int(torch.randint(2**31, ())) + get_rank())
