"""What the loss parts of one stage-2 step read."""
from typing import Dict, Optional

import torch
from torch import Tensor, nn

from .path_points import PathPoints

POINTS = ('source', 'samples')


class AlignmentBatch:
    """One stage-2 batch as the loss parts see it: the source pairs, the model's samples for
    the same masks, and points on the path at either, each drawn on first use and shared by
    the parts that name them:

    * ``'source'``: noised source pairs, ``x0 ~ N(0, I)`` and ``t`` from the time sampler;
    * ``'samples'``: the model's own samples, detached, noised along the path the same way:
      where its trajectories go once its look has moved away from the source images.

    Args:
        source: (B, 3, H, W) source images in [-1, 1].
        mask: (B, Cm, H, W) their masks.
        samples: (B, 3, H, W) the model's samples for ``mask``.
        generator: the flow being aligned (its ``path``, ``time_sampler``, ``velocity_net``).
        stage1_net: stage 1's frozen velocity network.
        num_points: draw the points at the first ``num_points`` pairs of the batch only (the
            loaders shuffle, so a random subset): each velocity field is then evaluated on
            that many, not B. None: at every pair.
    """

    def __init__(self, source: Tensor, mask: Tensor, samples: Tensor, generator: nn.Module,
                 stage1_net: nn.Module, num_points: Optional[int] = None):
        if num_points is not None and num_points < 1:
            raise ValueError(f'num_points must be a positive number of pairs or None (all), '
                             f'got {num_points}')
        self.source = source
        self.mask = mask
        self.samples = samples
        self.generator = generator
        self.stage1_net = stage1_net
        self.num_points = num_points
        self._points: Dict[str, PathPoints] = {}

    def points(self, at: str) -> PathPoints:
        """The path points at ``'source'`` or ``'samples'`` (see above)."""
        if at not in POINTS:
            raise ValueError(f"points must be 'source' (noised source pairs) or 'samples' (the "
                             f"model's own samples, noised), got {at!r}")
        if at not in self._points:
            generator = self.generator
            count = slice(self.num_points)
            if at == 'source':
                source = self.source[count]
                x0 = torch.randn_like(source)
                t = generator.time_sampler(source.shape[0], device=source.device)
                sample = generator.path.sample(x0, source, t)
            else:
                own = self.samples[count].detach().float().clamp(-1, 1)
                t = generator.time_sampler(own.shape[0], device=own.device)
                sample = generator.path.sample(torch.randn_like(own), own, t)
            self._points[at] = PathPoints(sample, self.mask[count], generator.velocity_net,
                                          self.stage1_net)
        return self._points[at]
