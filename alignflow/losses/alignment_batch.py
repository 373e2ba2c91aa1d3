"""What the loss parts of one stage-2 step read."""
from typing import Dict

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
    """

    def __init__(self, source: Tensor, mask: Tensor, samples: Tensor, generator: nn.Module,
                 stage1_net: nn.Module):
        self.source = source
        self.mask = mask
        self.samples = samples
        self.generator = generator
        self.stage1_net = stage1_net
        self._points: Dict[str, PathPoints] = {}

    def points(self, at: str) -> PathPoints:
        """The path points at ``'source'`` or ``'samples'`` (see above)."""
        if at not in POINTS:
            raise ValueError(f"points must be 'source' (noised source pairs) or 'samples' (the "
                             f"model's own samples, noised), got {at!r}")
        if at not in self._points:
            generator = self.generator
            if at == 'source':
                x0 = torch.randn_like(self.source)
                t = generator.time_sampler(self.source.shape[0], device=self.source.device)
                sample = generator.path.sample(x0, self.source, t)
            else:
                own = self.samples.detach().float().clamp(-1, 1)
                t = generator.time_sampler(own.shape[0], device=own.device)
                sample = generator.path.sample(torch.randn_like(own), own, t)
            self._points[at] = PathPoints(sample, self.mask, generator.velocity_net,
                                          self.stage1_net)
        return self._points[at]
