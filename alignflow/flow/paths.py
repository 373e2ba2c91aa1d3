"""Affine probability paths ``x_t = a(t) x0 + b(t) x1`` between noise (t=0) and data (t=1)."""
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor

from alignflow.registry import PATHS

__all__ = ['PathCoefficients', 'PathSample', 'ProbabilityPath', 'CondOTPath', 'CosinePath',
           'expand_t_like']


def expand_t_like(t: Tensor, x: Tensor) -> Tensor:
    """Reshape a per-sample time ``t: (B,)`` to ``(B, 1, ..., 1)`` so it broadcasts over ``x``.

    A 0-dim ``t`` is returned unchanged (it already broadcasts). The result has ``x``'s dtype.
    """
    t = t.to(dtype=x.dtype)
    if t.dim() == 0:
        return t
    return t.reshape(-1, *([1] * (x.dim() - 1)))


class PathCoefficients(NamedTuple):
    """The schedule of a path at ``t``: ``x_t = sigma_t * x0 + alpha_t * x1``.

    ``sigma_t`` multiplies the noise and ``alpha_t`` the data (the names of Meta's
    ``flow_matching``); the order is ``(a, b, da, db)`` of the module docstring, so
    ``a, b, da, db = path.coefficients(t)`` unpacks them.
    """

    sigma_t: Tensor
    alpha_t: Tensor
    d_sigma_t: Tensor
    d_alpha_t: Tensor


@dataclass
class PathSample:
    """A point on a probability path together with its conditional target velocity.

    Attributes:
        x_t: Interpolant ``a(t) x0 + b(t) x1``, shape ``(B, ...)``.
        dx_t: Target velocity ``a'(t) x0 + b'(t) x1``, shape ``(B, ...)``.
        t: Times, shape ``(B,)``.
        x0: Noise endpoint, shape ``(B, ...)``.
        x1: Data endpoint, shape ``(B, ...)``.
    """

    x_t: Tensor
    dx_t: Tensor
    t: Tensor
    x0: Tensor
    x1: Tensor


class ProbabilityPath(ABC):
    """Affine conditional path ``x_t = a(t) x0 + b(t) x1`` with ``a(0)=b(1)=1, a(1)=b(0)=0``.

    Subclasses only define :meth:`coefficients`; sampling and the conversions between a
    velocity prediction and the implied endpoints follow from them.

    Example:
        >>> import torch
        >>> path = CondOTPath()
        >>> x0, x1 = torch.zeros(2, 3), torch.ones(2, 3)
        >>> sample = path.sample(x0, x1, torch.tensor([0.25, 1.0]))
        >>> sample.x_t[:, 0].tolist(), sample.dx_t[:, 0].tolist()
        ([0.25, 1.0], [1.0, 1.0])
        >>> path.coefficients(torch.tensor(0.25)).alpha_t.item()
        0.25
        >>> path.velocity_to_x1(sample.x_t, sample.dx_t, sample.t)[:, 0].tolist()
        [1.0, 1.0]
    """

    @abstractmethod
    def coefficients(self, t: Tensor) -> PathCoefficients:
        """The schedule evaluated at ``t`` (any shape; every field shares it)."""

    def sample(self, x0: Tensor, x1: Tensor, t: Tensor) -> PathSample:
        """Interpolate between ``x0`` and ``x1``.

        Args:
            x0: Noise, shape ``(B, ...)``.
            x1: Data, shape ``(B, ...)``.
            t: Times in ``[0, 1]``, shape ``(B,)``.

        Returns:
            :class:`PathSample` with ``x_t`` and target velocity ``dx_t`` shaped like ``x0``.
        """
        assert x0.shape == x1.shape, f'x0 {tuple(x0.shape)} and x1 {tuple(x1.shape)} differ'
        assert t.dim() == 1 and t.shape[0] == x0.shape[0], \
            f't must have shape (B,)=({x0.shape[0]},), got {tuple(t.shape)}'
        a, b, da, db = self.coefficients(expand_t_like(t, x0))
        return PathSample(
            x_t=a * x0 + b * x1, dx_t=da * x0 + db * x1, t=t, x0=x0, x1=x1)

    def _solve(self, x_t: Tensor, v: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        """Solve ``[a b; da db] [x0; x1] = [x_t; v]`` elementwise by Cramer's rule.

        The system is singular where ``a·db - b·da = 0``. For :class:`CondOTPath` the
        determinant is 1 and for :class:`CosinePath` it is π/2, so both are invertible for
        every ``t``; a custom path has to keep the determinant away from zero.
        """
        a, b, da, db = self.coefficients(expand_t_like(t, x_t))
        det = a * db - b * da
        x0 = (db * x_t - b * v) / det
        x1 = (a * v - da * x_t) / det
        return x0, x1

    def velocity_to_x1(self, x_t: Tensor, v: Tensor, t: Tensor) -> Tensor:
        """Data prediction implied by velocity ``v`` at ``(x_t, t)``.

        Args:
            x_t: Current state, shape ``(B, ...)``.
            v: Predicted velocity, shape ``(B, ...)``.
            t: Times, shape ``(B,)`` (or 0-dim).

        Returns:
            ``x1`` estimate, shape ``(B, ...)``.
        """
        return self._solve(x_t, v, t)[1]

    def velocity_to_x0(self, x_t: Tensor, v: Tensor, t: Tensor) -> Tensor:
        """Noise prediction implied by velocity ``v`` at ``(x_t, t)``; shapes as in
        :meth:`velocity_to_x1`."""
        return self._solve(x_t, v, t)[0]

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'


@PATHS.register_module()
class CondOTPath(ProbabilityPath):
    """Conditional optimal-transport (rectified / linear) path: ``a = 1 - t``, ``b = t``.

    The target velocity is the constant ``x1 - x0``.
    """

    def coefficients(self, t: Tensor) -> PathCoefficients:
        return PathCoefficients(1 - t, t, -torch.ones_like(t), torch.ones_like(t))


@PATHS.register_module()
class CosinePath(ProbabilityPath):
    """Variance-preserving trigonometric path: ``a = cos(πt/2)``, ``b = sin(πt/2)``.

    ``a² + b² = 1``, so ``x_t`` keeps unit variance for standardised ``x0`` and ``x1``.
    """

    def coefficients(self, t: Tensor) -> PathCoefficients:
        half_pi = math.pi / 2
        cos, sin = torch.cos(half_pi * t), torch.sin(half_pi * t)
        return PathCoefficients(cos, sin, -half_pi * sin, half_pi * cos)
