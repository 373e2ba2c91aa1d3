"""Points on the probability path where the stage-2 loss parts compare velocity fields."""
from typing import Dict, Tuple

import torch
from torch import Tensor, nn

from alignflow.flow.paths import PathSample


class PathPoints:
    """Points ``(x_t, t)`` on the path for a batch of masks, and the velocity fields evaluated
    there: the trained model's and stage 1's, with the masks and without them (the null
    condition). Each field is evaluated once, on first use, and shared by every loss part that
    reads it; stage 1's without gradients.

    Args:
        sample: the path sample: ``x_t`` (B, C, H, W), ``t`` (B, ), ``dx_t`` (B, C, H, W).
        mask: (B, Cm, H, W) the masks the velocities are conditioned on.
        velocity_net: the trained velocity network ``v(x_t, t, mask)``.
        stage1_net: stage 1's frozen velocity network.
    """

    def __init__(self, sample: PathSample, mask: Tensor, velocity_net: nn.Module,
                 stage1_net: nn.Module):
        self.sample = sample
        self.mask = mask
        self.velocity_net = velocity_net
        self.stage1_net = stage1_net
        self._evaluated: Dict[Tuple[str, bool], Tensor] = {}

    @property
    def target_velocity(self) -> Tensor:
        """(B, C, H, W) the path's conditional target velocity ``dx_t``."""
        return self.sample.dx_t

    def velocity(self, conditioned: bool = True) -> Tensor:
        """(B, C, H, W) the trained model's velocity, with gradients."""
        key = ('model', conditioned)
        if key not in self._evaluated:
            self._evaluated[key] = self.velocity_net(
                self.sample.x_t, self.sample.t, self.mask if conditioned else None)
        return self._evaluated[key]

    def stage1_velocity(self, conditioned: bool = True) -> Tensor:
        """(B, C, H, W) stage 1's velocity, without gradients."""
        key = ('stage1', conditioned)
        if key not in self._evaluated:
            with torch.no_grad():
                self._evaluated[key] = self.stage1_net(
                    self.sample.x_t, self.sample.t, self.mask if conditioned else None)
        return self._evaluated[key]
