"""MMD and Wasserstein rewards (registry REWARDS)."""
from typing import Optional, Sequence, Union

import torch

from alignflow.distances import mmd2, sinkhorn_divergence, sliced_wasserstein
from alignflow.registry import REWARDS
from .base import DistributionReward


@REWARDS.register_module()
class MMDReward(DistributionReward):
    """Squared MMD between generated and reference features (the paper's reward).

    Args:
        kernel: 'rbf' (multi-bandwidth Gaussian) or 'polynomial' (KID's kernel).
        bandwidths: RBF bandwidths: None (median heuristic times (0.5, 1, 2, 4)), 'median'
            (the median alone) or a list of sigmas; see :func:`alignflow.distances.mmd2`.
        unbiased: U-statistic estimator; it needs two reference features or more, which the
            flip views provide even for a single reference image. The biased estimator is
            never negative but carries a positive offset that shrinks with the batch size.
        **kwargs: the parts, see :class:`DistributionReward`.
    """

    def __init__(self, kernel: str = 'rbf', bandwidths: Union[None, str, Sequence[float]] = None,
                 unbiased: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.kernel = kernel
        self.bandwidths = bandwidths
        self.unbiased = unbiased

    def distance(self, generated: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        kwargs = dict(bandwidths=self.bandwidths) if self.kernel == 'rbf' else {}
        return mmd2(generated, reference, kernel=self.kernel, unbiased=self.unbiased, **kwargs)


@REWARDS.register_module()
class SinkhornReward(DistributionReward):
    """Debiased entropic Wasserstein (Sinkhorn divergence) between feature sets."""

    def __init__(self, epsilon: float = 0.05, num_iters: int = 100, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon
        self.num_iters = num_iters

    def distance(self, generated: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        return sinkhorn_divergence(generated, reference, epsilon=self.epsilon,
                                   num_iters=self.num_iters)


@REWARDS.register_module()
class SlicedWassersteinReward(DistributionReward):
    """Sliced Wasserstein distance with fresh random projections at every call."""

    def __init__(self, num_projections: int = 128, seed: Optional[int] = None, **kwargs):
        super().__init__(**kwargs)
        self.num_projections = num_projections
        self.seed = seed

    def distance(self, generated: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        generator = None if self.seed is None else torch.Generator().manual_seed(self.seed)
        return sliced_wasserstein(generated, reference, num_projections=self.num_projections,
                                  generator=generator)
