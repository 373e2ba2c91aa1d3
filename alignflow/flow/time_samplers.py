"""Training-time distributions over ``t ∈ [0, 1]`` for flow-matching losses."""
from abc import ABC, abstractmethod
from typing import Optional, Union

import torch
from torch import Tensor

from alignflow.registry import TIME_SAMPLERS

__all__ = ['TimeSampler', 'UniformTimeSampler', 'LogitNormalTimeSampler']

Device = Optional[Union[str, torch.device]]


class TimeSampler(ABC):
    """Draws a batch of times in ``[eps, 1 - eps]``.

    Args:
        eps: Margin that keeps ``t`` away from the endpoints; samples in ``[0, 1]`` are
            mapped affinely onto ``[eps, 1 - eps]``.
    """

    def __init__(self, eps: float = 0.0) -> None:
        if not 0.0 <= eps < 0.5:
            raise ValueError(f'eps must be in [0, 0.5), got {eps}')
        self.eps = eps

    @abstractmethod
    def _sample(self, batch_size: int, device: Device,
                generator: Optional[torch.Generator]) -> Tensor:
        """Return ``(B,)`` float32 samples in ``[0, 1]``."""

    def __call__(self, batch_size: int, device: Device = None,
                 generator: Optional[torch.Generator] = None) -> Tensor:
        """Sample times.

        Args:
            batch_size: ``B``.
            device: Device of the result; ``generator`` must live on it.
            generator: Optional RNG for reproducible draws.

        Returns:
            ``t``: float32, shape ``(B,)``, values in ``[eps, 1 - eps]``.
        """
        t = self._sample(batch_size, device, generator)
        return self.eps + (1.0 - 2.0 * self.eps) * t

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v}' for k, v in vars(self).items())
        return f'{type(self).__name__}({args})'


@TIME_SAMPLERS.register_module()
class UniformTimeSampler(TimeSampler):
    """``t ~ U(0, 1)``."""

    def _sample(self, batch_size: int, device: Device,
                generator: Optional[torch.Generator]) -> Tensor:
        return torch.rand(batch_size, device=device, generator=generator)


@TIME_SAMPLERS.register_module()
class LogitNormalTimeSampler(TimeSampler):
    """``t = sigmoid(u)``, ``u ~ N(loc, scale²)``: mass concentrates on intermediate times
    (Esser et al., 2024, Stable Diffusion 3).

    Args:
        loc: Mean of ``u``; ``loc > 0`` shifts mass towards the data end ``t = 1``.
        scale: Standard deviation of ``u``.
        eps: See :class:`TimeSampler`.
    """

    def __init__(self, loc: float = 0.0, scale: float = 1.0, eps: float = 0.0) -> None:
        super().__init__(eps)
        if scale <= 0:
            raise ValueError(f'scale must be positive, got {scale}')
        self.loc = loc
        self.scale = scale

    def _sample(self, batch_size: int, device: Device,
                generator: Optional[torch.Generator]) -> Tensor:
        u = torch.randn(batch_size, device=device, generator=generator)
        return torch.sigmoid(self.loc + self.scale * u)
