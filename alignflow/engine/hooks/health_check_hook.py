"""Tell the user, at every validation and plainly at the end of a stage-2 run, whether the
alignment took, from the references alone."""
import json
import os.path as osp
from typing import Dict, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log

from alignflow.evaluation.health_check import HealthVerdict, judge_alignment
from alignflow.registry import HOOKS
from alignflow.utils.atomic_io import write_text_atomic

PREFIX = 'refcheck/'
BASELINE_KEY = 'health_check_baseline'
FILE_NAME = 'health_check.json'


@HOOKS.register_module()
class HealthCheckHook(Hook):
    """Judge each validation's ``ReferenceCheckMetric`` figures
    (:func:`~alignflow.evaluation.judge_alignment`) and report the verdict.

    The validation before training (``AlignmentMonitorHook(validate_before_train=True)``) is
    stage 1's, the baseline every later validation is judged against; it is kept in the message
    hub, so a resumed run keeps it. After each later validation the verdict line is logged and
    ``<work_dir>/health_check.json`` is rewritten (iteration, verdict, reasons, figures, stage
    1's figures); at the end of training the last verdict is printed as a block.

    Args:
        judge: keyword arguments of :func:`~alignflow.evaluation.judge_alignment` (its
            thresholds).
    """

    priority = 'BELOW_NORMAL'

    def __init__(self, judge: Optional[dict] = None):
        self.judge = dict(judge or {})
        self.last: Optional[HealthVerdict] = None

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        figures = {key[len(PREFIX):]: float(value) for key, value in (metrics or {}).items()
                   if key.startswith(PREFIX)}
        if not figures:
            return
        if runner.iter == 0:
            runner.message_hub.update_info(BASELINE_KEY, figures)
            return
        baseline = runner.message_hub.get_info(BASELINE_KEY)
        self.last = judge_alignment(figures, baseline, **self.judge)
        print_log(f'health check (references only) at iter {runner.iter}: {self.last.line()}',
                  logger='current')
        record = dict(self.last.to_dict(), iter=runner.iter, stage1=baseline,
                      note='judged against the references alone, not a held-out score')
        if is_main_process():  # every rank holds the same metrics; one writes them
            write_text_atomic(json.dumps(record, indent=1),
                              osp.join(runner.work_dir, FILE_NAME))

    def after_train(self, runner) -> None:
        if self.last is None:
            print_log('health check: no validation after training ran with ReferenceCheckMetric'
                      ', so there is no verdict; validate with it (val_interval within '
                      'max_iters)', logger='current')
            return
        references = getattr(getattr(runner.model, 'module', runner.model), 'reward', None)
        count = getattr(references, 'num_references', None)
        what = f'the {count} references' if count else 'the references'
        print_log('\n'.join([
            f'Health check from {what} alone (no held-out target image was used):',
            f'  {self.last.line()}',
            f'  written to {osp.join(runner.work_dir, FILE_NAME)}']), logger='current')
