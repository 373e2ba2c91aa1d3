"""The flow-matching regression loss: ``|| v_theta(x_t, t) - dx_t ||^2``."""
from torch import Tensor

__all__ = ['flow_matching_loss']


def flow_matching_loss(velocity: Tensor, target: Tensor, reduction: str = 'mean') -> Tensor:
    """Mean squared error between a predicted and the path's target velocity, in float32
    (the squares of a bf16/fp16 forward lose too much precision to average).

    Args:
        velocity: predicted velocity ``v_theta(x_t, t, cond)``, shape ``(B, ...)``.
        target: the path's conditional velocity ``dx_t``, shape ``(B, ...)``.
        reduction: ``'mean'`` (a scalar over everything) or ``'none'`` (per sample, ``(B,)``).

    Example:
        >>> import torch
        >>> v, target = torch.zeros(2, 3, 4, 4), torch.ones(2, 3, 4, 4)
        >>> flow_matching_loss(v, target).item()
        1.0
        >>> flow_matching_loss(v, 2 * target, reduction='none').tolist()
        [4.0, 4.0]
    """
    if velocity.shape != target.shape:
        raise ValueError(f'velocity {tuple(velocity.shape)} and target {tuple(target.shape)} '
                         'differ in shape')
    error = (velocity.float() - target.float()).pow(2)
    if reduction == 'mean':
        return error.mean()
    if reduction == 'none':
        return error.flatten(1).mean(1)
    raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")
