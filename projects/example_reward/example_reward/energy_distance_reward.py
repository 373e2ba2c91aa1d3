"""Energy distance between generated and reference features, as a stage-2 reward."""
import torch

from alignflow.registry import REWARDS
from alignflow.rewards import DistributionReward


@REWARDS.register_module()
class EnergyDistanceReward(DistributionReward):
    """``2 E|x - y| - E|x - x'| - E|y - y'|`` over features (Szekely & Rizzo), with the
    within-set means over distinct pairs. generated: (B, D), reference: (R, D)."""

    def distance(self, generated: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:

        def mean_distinct(x: torch.Tensor) -> torch.Tensor:
            n = x.shape[0]
            if n < 2:
                return x.new_zeros(())
            return torch.cdist(x, x).sum() / (n * (n - 1))

        cross = torch.cdist(generated, reference).mean()
        return 2 * cross - mean_distinct(generated) - mean_distinct(reference)
