"""The stage-1 anchor of stage 2."""
from typing import Dict

from torch import Tensor

from alignflow.flow import flow_matching_loss
from alignflow.registry import LOSSES
from .alignment_batch import AlignmentBatch
from .base import AlignmentLoss


@LOSSES.register_module()
class Stage1AnchorLoss(AlignmentLoss):
    """``loss_anchor`` = w x ||v_theta(x_t, t, m) - v_stage1(x_t, t, m)||^2 against stage 1's
    frozen velocity field: bounds how far alignment drifts from stage 1 (the
    ``AlignmentMonitorHook``'s drift is this loss per unit weight).

    Args:
        loss_weight: w.
        points: ``'source'`` or ``'samples'``, see :class:`AlignmentBatch`.
    """

    loss_name = 'loss_anchor'

    def __init__(self, loss_weight: float = 1.0, points: str = 'source'):
        super().__init__(loss_weight, points)

    def forward(self, batch: AlignmentBatch) -> Dict[str, Tensor]:
        points = batch.points(self.points)
        return {self.loss_name: self.loss_weight * flow_matching_loss(
            points.velocity(), points.stage1_velocity())}
