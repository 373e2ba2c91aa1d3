"""Bookkeeping and a stopping rule for stage-2 alignment that need no held-out target image."""
from pathlib import Path
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from alignflow.datasets.references import save_reference_list
from alignflow.registry import HOOKS


def _value(logged) -> float:
    """A logged loss (a tensor still attached to the graph, or a number) as a float."""
    return float(logged.detach()) if torch.is_tensor(logged) else float(logged)


@HOOKS.register_module()
class AlignmentMonitorHook(Hook):
    """Stage-2 monitor.

    * Saves the chosen reference file names to ``<work_dir>/references.txt``.
    * Optionally validates once before the first step, so logs show the metrics of stage 1
      next to those after alignment.
    * Ends training at the current iteration (checkpoint, validation and grid included) when
      either rule fires:
      - **reference floor**: the running mean of the reward falls below ``floor_factor`` x the
        reward that held-out references get against the others
        (:meth:`~alignflow.rewards.base.DistributionReward.reference_floor`): synthesis is then
        as close to the reference set as real target images are; pushing further fits the few
        references' noise. Needs at least 3 references.
      - **drift bound**: the anchor loss (per unit weight) exceeds ``max_drift``, i.e. the
        velocity field moved too far from stage 1.

    Args:
        validate_before_train: run the val loop before training.
        floor_factor: multiple of the reference floor that stops training; None disables.
        max_drift: bound on mean ||v - v_stage1||^2; None disables.
        window: iterations in the running mean of the reward.
        min_iters: never stop before this many iterations.
    """

    priority = 'LOW'

    def __init__(self, validate_before_train: bool = True, floor_factor: Optional[float] = 1.0,
                 max_drift: Optional[float] = None, window: int = 10, min_iters: int = 20):
        self.validate_before_train = validate_before_train
        self.floor_factor = floor_factor
        self.max_drift = max_drift
        self.window = window
        self.min_iters = min_iters
        self.floor: Optional[float] = None
        self._rewards = []

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def before_train(self, runner) -> None:
        model = self._model(runner)
        save_reference_list(model.reference_split, Path(runner.work_dir) / 'references.txt')
        if self.floor_factor is not None:
            self.floor = model.reward.reference_floor()
            if self.floor is None:
                print_log('fewer than 3 references: the reference-floor stopping rule is off',
                          logger='current')
            else:
                print_log(f'reference floor (reward of held-out references against the others): '
                          f'{self.floor:.6g}', logger='current')
        if self.validate_before_train and runner.val_loop is not None and runner.iter == 0:
            runner.val_loop.run()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not outputs or 'loss_reward' not in outputs:
            return
        self._rewards = (self._rewards + [_value(outputs['loss_reward'])])[-self.window:]
        if runner.iter + 1 < self.min_iters:
            return
        mean_reward = sum(self._rewards) / len(self._rewards)
        reason = None
        if self.floor is not None and mean_reward < self.floor_factor * self.floor:
            reason = (f'mean reward {mean_reward:.6g} below {self.floor_factor} x reference '
                      f'floor {self.floor:.6g}')
        model = self._model(runner)
        if self.max_drift is not None and 'loss_anchor' in outputs and model.anchor_weight > 0:
            drift = _value(outputs['loss_anchor']) / model.anchor_weight
            if drift > self.max_drift:
                reason = f'drift from stage 1 {drift:.6g} above {self.max_drift}'
        if reason:
            print_log(f'AlignmentMonitorHook: stopping at iter {runner.iter + 1}: {reason}',
                      logger='current')
            # Make this the last iteration rather than only setting `stop_training`, so the
            # CheckpointHook saves it, the final validation runs and the last grid is written.
            runner.train_loop._max_iters = runner.iter + 1
