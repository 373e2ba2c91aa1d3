"""The mask-effect anchor of stage 2."""
from typing import Dict

from torch import Tensor, nn

from alignflow.flow import flow_matching_loss
from alignflow.registry import LOSSES
from .alignment_batch import AlignmentBatch
from .base import AlignmentLoss


@LOSSES.register_module()
class MaskEffectAnchorLoss(AlignmentLoss):
    """``loss_mask_anchor`` = w x ||e_theta - e_stage1||^2 with
    ``e = v(x_t, t, m) - v(x_t, t, null)``: anchors only what the mask changes in the velocity
    (where and how the lesion is painted) and leaves its mask-independent part, the domain's
    look, to the reward. Needs a stage 1 trained with ``cond_dropout`` > 0, so that the null
    condition means something.

    Args:
        loss_weight: w.
        points: ``'source'`` or ``'samples'``, see :class:`AlignmentBatch`.
    """

    loss_name = 'loss_mask_anchor'

    def __init__(self, loss_weight: float = 1.0, points: str = 'source'):
        super().__init__(loss_weight, points)

    def check_generator(self, generator: nn.Module) -> None:
        if not getattr(generator, 'cond_dropout', 0.0):
            raise ValueError(
                'MaskEffectAnchorLoss compares the velocity with and without the mask, but '
                'the stage-1 generator was configured with cond_dropout=0, so its null '
                'condition was never trained: use a stage 1 trained with cond_dropout > 0, '
                'or drop MaskEffectAnchorLoss from model.losses')

    def forward(self, batch: AlignmentBatch) -> Dict[str, Tensor]:
        points = batch.points(self.points)
        velocity, stage1_velocity = points.velocity(), points.stage1_velocity()
        stage1_effect = stage1_velocity - points.stage1_velocity(conditioned=False)
        effect = velocity - points.velocity(conditioned=False)
        return {self.loss_name: self.loss_weight * flow_matching_loss(effect, stage1_effect)}
