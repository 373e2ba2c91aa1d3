"""Multi-head self-attention over the pixels of a feature map.

Backend choice (:func:`dot_product_attention`):

* ``xformers.ops.memory_efficient_attention`` when xformers is importable **and** the tensors
  are on CUDA (xformers has no CPU kernel);
* otherwise ``torch.nn.functional.scaled_dot_product_attention``, which itself dispatches to
  flash / memory-efficient / math kernels depending on device, dtype and shape.

Both compute ``softmax(Q K^T / sqrt(d)) V`` without dropout or masking.
"""
import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from .norm import group_norm

try:
    import xformers.ops as xops
except ImportError:
    xops = None

XFORMERS_AVAILABLE = xops is not None


def dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``softmax(Q K^T / sqrt(d)) V`` on the fastest available backend (see module docstring).

    Args:
        q, k, v: (B, heads, N, d) queries, keys and values.

    Returns:
        (B, heads, N, d) attended values.
    """
    if xops is not None and q.is_cuda:
        q, k, v = (rearrange(z, 'b h n d -> b n h d') for z in (q, k, v))
        out = xops.memory_efficient_attention(q, k, v)
        return rearrange(out, 'b n h d -> b h n d')
    return F.scaled_dot_product_attention(q, k, v)


class SelfAttention2d(nn.Module):
    """Pre-norm residual multi-head self-attention block: ``x + proj(attn(qkv(norm(x))))``.

    Every pixel attends to every pixel of the same map (cost quadratic in H*W, which is why the
    U-Net only uses it at low resolutions). Deviation from ADM: the output projection keeps the
    default initialisation instead of being zero-initialised (see :class:`ConditionalUNet`).

    Args:
        channels: Feature channels C.
        num_heads: Number of heads; ignored when ``head_channels`` is given.
        head_channels: Channels per head; when set, ``num_heads = channels // head_channels``.
        num_groups: Upper bound on the GroupNorm groups (clamped to divide ``channels``).
    """

    def __init__(self,
                 channels: int,
                 num_heads: int = 4,
                 head_channels: int = None,
                 num_groups: int = 32):
        super().__init__()
        if head_channels is not None:
            if channels % head_channels:
                raise ValueError(
                    f'head_channels={head_channels} does not divide {channels} channels')
            num_heads = channels // head_channels
        if channels % num_heads:
            raise ValueError(f'num_heads={num_heads} does not divide {channels} channels')
        self.num_heads = num_heads
        self.norm = group_norm(channels, num_groups)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, C, H, W)."""
        h, w = x.shape[-2:]
        q, k, v = rearrange(
            self.qkv(self.norm(x)),
            'b (three heads d) h w -> three b heads (h w) d',
            three=3,
            heads=self.num_heads)
        out = dot_product_attention(q.contiguous(), k.contiguous(), v.contiguous())
        out = rearrange(out, 'b heads (h w) d -> b (heads d) h w', h=h, w=w)
        return x + self.proj(out)
