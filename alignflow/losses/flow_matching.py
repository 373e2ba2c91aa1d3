"""The flow-matching regulariser of stage 2."""
from typing import Dict, Optional

import torch
from torch import Tensor

from alignflow.flow import flow_matching_loss
from alignflow.registry import LOSSES
from .adaptive_weight import AdaptiveWeight
from .alignment_batch import AlignmentBatch
from .base import AlignmentLoss


@LOSSES.register_module()
class FlowMatchingLoss(AlignmentLoss):
    """``loss_fm`` = w x ||v_theta(x_t, t, m) - dx_t||^2 on noised source pairs: keeps the
    aligned model a flow that follows masks. Logs its weight as ``fm_weight``.

    Args:
        loss_weight: w (lambda).
        adaptive: ``dict(rate=1.0, slack=0.1)`` makes w an :class:`AdaptiveWeight` of this loss
            (it grows when the loss drifts up from where alignment started); None keeps it
            fixed.
    """

    loss_name = 'loss_fm'

    def __init__(self, loss_weight: float = 0.5, adaptive: Optional[dict] = None):
        super().__init__(loss_weight, points='source')
        adaptive = {} if adaptive is None else {'rate': 1.0, **adaptive}
        self.weight_schedule = AdaptiveWeight(loss_weight, **adaptive)

    def forward(self, batch: AlignmentBatch) -> Dict[str, Tensor]:
        points = batch.points(self.points)
        loss = flow_matching_loss(points.velocity(), points.target_velocity)
        weight = self.weight_schedule(float(loss.detach()))
        return {self.loss_name: weight * loss, 'fm_weight': torch.tensor(weight)}
