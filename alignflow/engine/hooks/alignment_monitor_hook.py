"""Bookkeeping and a stopping rule for stage-2 alignment that need no held-out target image."""
from typing import List, Optional

import torch
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from alignflow.registry import HOOKS
from .reference_floor import held_count, matched_reward, reference_floor


def _value(logged) -> float:
    """A logged loss (a tensor still attached to the graph, or a number) as a float."""
    return float(logged.detach()) if torch.is_tensor(logged) else float(logged)


@HOOKS.register_module()
class AlignmentMonitorHook(Hook):
    """Stage-2 monitor.

    * Optionally validates once before the first step, so logs show the metrics of stage 1
      next to those after alignment.
    * Ends training at the current iteration (checkpoint, validation and grid included) when
      either rule fires:
      - **reference floor**: generated images are as close to the references as real target
        images are. Each iteration the training batch's features are scored against seeded
        splits of the references
        (:func:`~alignflow.engine.hooks.reference_floor.matched_reward`, logged as
        ``matched_reward``) and compared with held-out references scored against the same
        splits (:func:`~alignflow.engine.hooks.reference_floor.reference_floor`): same
        banks, same set sizes, so the two agree in expectation once the generator matches the
        target. Training stops when the running mean falls below ``floor_factor`` x the floor;
        pushing further fits the few references' noise. Needs at least 3 references.
      - **drift bound**: the stage-1 anchor's loss (``loss_anchor`` of the model's
        ``Stage1AnchorLoss``, per unit weight) exceeds ``max_drift``, i.e. the velocity field
        moved too far from stage 1.
      Both are averaged over processes in distributed training, so every rank stops together.
      The stop is recorded in the message hub (``alignment_stop``: iteration and reason), which
      the checkpoint keeps: a run interrupted after its stop resumes as finished instead of
      training past it.

    Args:
        validate_before_train: run the val loop before training.
        floor_factor: multiple of the reference floor that stops training; None disables.
        max_drift: bound on mean ||v - v_stage1||^2; None disables.
        window: iterations in the running mean of the matched reward.
        min_iters: never stop before this many iterations.
        num_splits: reference splits behind the floor and the matched reward.
    """

    priority = 'LOW'

    def __init__(self, validate_before_train: bool = True, floor_factor: Optional[float] = 1.0,
                 max_drift: Optional[float] = None, window: int = 10, min_iters: int = 20,
                 num_splits: int = 32):
        self.validate_before_train = validate_before_train
        self.floor_factor = floor_factor
        self.max_drift = max_drift
        self.window = window
        self.min_iters = min_iters
        self.num_splits = num_splits
        self.floor: Optional[float] = None
        self._matched: List[float] = []

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def before_train(self, runner) -> None:
        stop = runner.message_hub.get_info('alignment_stop')
        if stop is not None and runner.iter >= stop['iter']:
            print_log(f'AlignmentMonitorHook: this run was ended at iter {stop["iter"]} '
                      f'({stop["reason"]}); resumed from there, nothing is left to train',
                      logger='current')
            runner.train_loop._max_iters = runner.iter
            return
        model = self._model(runner)
        if self.floor_factor is not None:
            batch_size = runner.train_dataloader.batch_size
            self.floor = reference_floor(model.reward, batch_size, self.num_splits)
            if self.floor is None:
                print_log('fewer than 3 references: the reference-floor stopping rule is off',
                          logger='current')
            else:
                held = held_count(model.reward.num_references, batch_size)
                print_log(f'reference floor (held-out references against the others, '
                          f'{held} at a time): {self.floor:.6g}',
                          logger='current')
        if self.validate_before_train and runner.val_loop is not None and runner.iter == 0:
            runner.val_loop.run()

    def _mean_over_ranks(self, values: List[float]) -> List[float]:
        tensor = torch.tensor(values, dtype=torch.float64)
        all_reduce(tensor, op='mean')
        return tensor.tolist()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.floor is None and self.max_drift is None:
            return
        if not outputs or 'loss_reward' not in outputs:
            return
        model = self._model(runner)
        matched = drift = 0.0
        # Only the last `window` values before `min_iters` can matter (0.1 s an iteration with
        # 100 references on one CPU thread).
        watch = self.floor is not None and runner.iter + 1 > self.min_iters - self.window
        if watch:
            matched = matched_reward(model.reward, model.reward.last_features, self.num_splits)
        anchor_weight = next((part.loss_weight for part in model.losses
                              if part.loss_name == 'loss_anchor'), 0.0)
        if 'loss_anchor' in outputs and anchor_weight > 0:
            drift = _value(outputs['loss_anchor']) / anchor_weight
        matched, drift = self._mean_over_ranks([matched, drift])
        reason = None
        if watch:
            runner.message_hub.update_scalar('train/matched_reward', matched)
            self._matched = (self._matched + [matched])[-self.window:]
            mean_matched = sum(self._matched) / len(self._matched)
            if mean_matched < self.floor_factor * self.floor:
                reason = (f'mean matched reward {mean_matched:.6g} below {self.floor_factor} x '
                          f'reference floor {self.floor:.6g}')
        if self.max_drift is not None and drift > self.max_drift:
            reason = f'drift from stage 1 {drift:.6g} above {self.max_drift}'
        if reason and runner.iter + 1 >= self.min_iters:
            print_log(f'AlignmentMonitorHook: stopping at iter {runner.iter + 1}: {reason}',
                      logger='current')
            # Make this the last iteration rather than only setting `stop_training`, so the
            # CheckpointHook saves it, the final validation runs and the last grid is written.
            runner.train_loop._max_iters = runner.iter + 1
            runner.message_hub.update_info('alignment_stop',
                                           dict(iter=runner.iter + 1, reason=reason))
