"""Time embedding of the velocity network: sinusoidal features followed by an MLP (as in ADM)."""
import math

import torch
from torch import nn


def sinusoidal_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Transformer-style sinusoidal features of a batch of scalars.

    Args:
        t: (B,) time values (any real range; the caller scales flow-matching t in [0, 1]).
        dim: Number of output features; the first half are cosines, the second half sines
            (an odd ``dim`` gets one trailing zero).
        max_period: Longest wavelength; frequencies are ``max_period ** (-k / (dim // 2))``.

    Returns:
        (B, dim) float32 tensor.
    """
    half = dim // 2
    freqs = torch.exp(
        -math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


class TimestepEmbedding(nn.Module):
    """Sinusoidal embedding of ``scale * t`` followed by Linear-SiLU-Linear.

    Flow-matching time lives in [0, 1], while sinusoidal features were designed for integer
    diffusion steps in [0, 1000); ``scale`` (default 1000) maps one onto the other so that the
    low frequencies still resolve small time differences.

    Args:
        in_dim: Sinusoidal feature dimension (ADM uses the U-Net base width).
        out_dim: Embedding dimension (ADM uses 4x the base width).
        scale: Multiplier applied to ``t`` before the sinusoidal features.
    """

    def __init__(self, in_dim: int, out_dim: int, scale: float = 1000.0):
        super().__init__()
        self.in_dim = in_dim
        self.scale = scale
        self.mlp = nn.Sequential(nn.Linear(in_dim, out_dim), nn.SiLU(), nn.Linear(out_dim, out_dim))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        """(B,) times -> (B, out_dim) embedding (in the dtype of the MLP weights)."""
        emb = sinusoidal_embedding(t * self.scale, self.in_dim)
        return self.mlp(emb.to(self.mlp[0].weight.dtype))
