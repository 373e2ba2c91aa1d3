"""GroupNorm whose group count adapts to the channel count."""
from torch import nn


def group_norm(channels: int, num_groups: int = 32, eps: float = 1e-5) -> nn.GroupNorm:
    """GroupNorm with the largest group count <= ``num_groups`` that divides ``channels``.

    ADM hard-codes 32 groups; clamping lets narrow test networks (or odd widths such as
    base + cond channels) use the same code.
    """
    groups = max(g for g in range(1, min(num_groups, channels) + 1) if channels % g == 0)
    return nn.GroupNorm(groups, channels, eps=eps)
