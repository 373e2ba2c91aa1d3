"""A plain dilated convolutional velocity network, registered from outside AlignFlow."""
import math
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from alignflow.models.velocity import TimestepEmbedding
from alignflow.registry import MODELS


class TimeConditionedBlock(nn.Module):
    """``x + conv(SiLU(norm(x) * (1 + scale) + shift))``, with scale and shift read from the
    time embedding. x: (B, C, H, W), emb: (B, E) -> (B, C, H, W)."""

    def __init__(self, channels: int, emb_channels: int, dilation: int):
        super().__init__()
        self.norm = nn.GroupNorm(math.gcd(32, channels), channels, affine=False)
        self.film = nn.Linear(emb_channels, 2 * channels)
        self.conv = nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(emb)[:, :, None, None].chunk(2, dim=1)
        return x + self.conv(F.silu(self.norm(x) * (1 + scale) + shift))


@MODELS.register_module()
class DilatedConvVelocityNet(BaseModule):
    """Velocity ``v(x_t, t, cond)`` from a stack of residual 3x3 convolutions at full
    resolution, dilated so that the receptive field covers the image without down-sampling
    (so any side works), each block modulated by a sinusoidal time embedding.

    x: (B, in_channels, H, W), t: (B,) or a scalar in [0, 1], cond: (B, cond_channels, H, W)
    or None (when ``cond_channels`` is 0) -> (B, in_channels, H, W). The output layer starts at
    zero, so the net predicts zero velocity at initialisation.

    Args:
        in_channels: Channels of the state (filled in by the flow model).
        cond_channels: Channels of the condition (filled in by the flow model; 0: none).
        width: Channels of every block.
        dilations: One residual block per entry, with that dilation.
        time_embed_scale: Multiplier applied to ``t`` before the sinusoidal embedding.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: int = 3,
                 cond_channels: int = 1,
                 width: int = 64,
                 dilations: Sequence[int] = (1, 2, 4, 8, 4, 2, 1),
                 time_embed_scale: float = 1000.0,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.cond_channels = cond_channels
        self.time_embed = TimestepEmbedding(width, 4 * width, time_embed_scale)
        self.in_conv = nn.Conv2d(in_channels + cond_channels, width, 3, padding=1)
        self.blocks = nn.ModuleList(
            [TimeConditionedBlock(width, 4 * width, dilation) for dilation in dilations])
        self.out_norm = nn.GroupNorm(math.gcd(32, width), width)
        self.out_conv = nn.Conv2d(width, in_channels, 3, padding=1)
        nn.init.zeros_(self.out_conv.weight)
        nn.init.zeros_(self.out_conv.bias)

    def forward(self, x: torch.Tensor, t: Union[torch.Tensor, float],
                cond: Optional[torch.Tensor] = None) -> torch.Tensor:
        t = torch.as_tensor(t, dtype=x.dtype, device=x.device).reshape(-1).expand(x.shape[0])
        emb = self.time_embed(t)
        h = self.in_conv(x if cond is None else torch.cat([x, cond.to(x.dtype)], dim=1))
        for block in self.blocks:
            h = block(h, emb)
        return self.out_conv(F.silu(self.out_norm(h)))
