"""Fixed-step explicit ODE solvers for ``dx/dt = v(x, t)`` with truncated backprop support.

Written by hand rather than wrapping ``torchdiffeq``: stage-2 fine-tuning needs precise
control over which steps build an autograd graph (``grad_last_k``) and per-step activation
checkpointing, which adaptive/adjoint integrators do not expose.
"""
from abc import ABC, abstractmethod
from contextlib import nullcontext
from typing import Callable, Optional, Union

import torch
from torch import Tensor
from torch.utils.checkpoint import checkpoint as checkpoint_fn

from alignflow.registry import SOLVERS

__all__ = [
    'VelocityFn', 'FixedStepSolver', 'EulerSolver', 'MidpointSolver', 'HeunSolver', 'RK4Solver'
]

VelocityFn = Callable[[Tensor, Tensor], Tensor]
"""``velocity_fn(x, t)``: ``x: (B, ...)``, ``t: (B,)`` (dtype/device of ``x``) -> ``(B, ...)``."""


class FixedStepSolver(ABC):
    """Base class for explicit solvers on a uniform time grid.

    Args:
        num_steps: Default number of steps ``N`` used by :meth:`sample`.
    """

    order: int

    def __init__(self, num_steps: int = 20) -> None:
        self.num_steps = self._check_num_steps(num_steps)

    @staticmethod
    def _check_num_steps(num_steps: int) -> int:
        if not isinstance(num_steps, int) or num_steps < 1:
            raise ValueError(f'num_steps must be a positive int, got {num_steps!r}')
        return num_steps

    @staticmethod
    def time_grid(num_steps: int, t0: float = 0.0, t1: float = 1.0,
                  device: Optional[Union[str, torch.device]] = None,
                  dtype: Optional[torch.dtype] = None) -> Tensor:
        """Uniform grid ``t0 = s_0 < ... < s_N = t1``, shape ``(N + 1,)``.

        Built in float32 (float64 if requested) and then cast, so low-precision dtypes get
        correctly rounded times rather than a grid accumulated in that precision.
        """
        dtype = torch.get_default_dtype() if dtype is None else dtype
        work = torch.float64 if dtype == torch.float64 else torch.float32
        return torch.linspace(t0, t1, num_steps + 1, device=device, dtype=work).to(dtype)

    @abstractmethod
    def step(self, velocity_fn: VelocityFn, x: Tensor, t: Tensor, h: Tensor) -> Tensor:
        """Advance one step.

        Args:
            velocity_fn: See :data:`VelocityFn`.
            x: State at ``t``, shape ``(B, ...)``.
            t: Current time, shape ``(B,)``.
            h: Step size, 0-dim tensor.

        Returns:
            State at ``t + h``, shape ``(B, ...)``.
        """

    def sample(self,
               velocity_fn: VelocityFn,
               x0: Tensor,
               num_steps: Optional[int] = None,
               t0: float = 0.0,
               t1: float = 1.0,
               grad_last_k: Optional[int] = None,
               checkpoint: bool = False,
               return_trajectory: bool = False) -> Union[Tensor, tuple[Tensor, Tensor]]:
        """Integrate from ``t0`` to ``t1`` starting at ``x0``.

        Args:
            velocity_fn: See :data:`VelocityFn`; typically a closure over a model and its
                condition.
            x0: Initial state, shape ``(B, ...)``.
            num_steps: ``N``; defaults to ``self.num_steps``.
            t0: Start time.
            t1: End time.
            grad_last_k: ``None`` keeps the current grad mode for every step. ``K`` runs the
                first ``N - K`` steps under :func:`torch.no_grad` and only the last ``K``
                build a graph (truncated backprop, as in DRaFT / AlignProp). With ``K < N``
                no gradient reaches ``x0``; ``K = 0`` keeps no graph at all.
            checkpoint: Wrap each graph-building step in non-reentrant activation
                checkpointing, so stored activations do not grow with the number of kept
                steps (each step's inputs are still stored); values and gradients unchanged.
            return_trajectory: Also return the visited states.

        Returns:
            ``x1`` of shape ``(B, ...)``; with ``return_trajectory`` a tuple
            ``(x1, trajectory)`` where ``trajectory: (N + 1, B, ...)`` holds the detached
            states at every grid time, ``trajectory[0] == x0`` and ``trajectory[-1] == x1``.

        Example:
            >>> import torch
            >>> solver = EulerSolver(num_steps=4)
            >>> x0 = torch.zeros(2, 3)
            >>> x1 = solver.sample(lambda x, t: torch.ones_like(x), x0)  # dx/dt = 1
            >>> x1[0].tolist()
            [1.0, 1.0, 1.0]
            >>> weight = torch.tensor(2.0, requires_grad=True)
            >>> x1 = solver.sample(lambda x, t: weight * x + 1, x0, grad_last_k=1,
            ...                    checkpoint=True)
            >>> x1.sum().backward()  # through the last step only
            >>> weight.grad.item() > 0
            True
        """
        n = self._check_num_steps(self.num_steps if num_steps is None else num_steps)
        k = n if grad_last_k is None else grad_last_k
        if not isinstance(k, int) or not 0 <= k <= n:
            raise ValueError(f'grad_last_k must be an int in [0, num_steps={n}], got {k!r}')

        grid = self.time_grid(n, t0, t1, device=x0.device, dtype=x0.dtype)
        times, steps = grid[:-1], grid.diff()
        batch_size = x0.shape[0]
        x = x0
        trajectory = [x0.detach()] if return_trajectory else None
        for i in range(n):
            t, h = times[i].expand(batch_size), steps[i]
            keep = i >= n - k
            with nullcontext() if keep else torch.no_grad():
                if keep and checkpoint and torch.is_grad_enabled():
                    x = checkpoint_fn(self.step, velocity_fn, x, t, h, use_reentrant=False)
                else:
                    x = self.step(velocity_fn, x, t, h)
            if trajectory is not None:
                trajectory.append(x.detach())
        if trajectory is not None:
            return x, torch.stack(trajectory)
        return x

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_steps={self.num_steps})'


@SOLVERS.register_module()
class EulerSolver(FixedStepSolver):
    """Explicit Euler: ``x + h v(x, t)``; first order, one evaluation per step."""

    order = 1

    def step(self, velocity_fn: VelocityFn, x: Tensor, t: Tensor, h: Tensor) -> Tensor:
        return x + h * velocity_fn(x, t)


@SOLVERS.register_module()
class MidpointSolver(FixedStepSolver):
    """Explicit midpoint rule; second order, two evaluations per step."""

    order = 2

    def step(self, velocity_fn: VelocityFn, x: Tensor, t: Tensor, h: Tensor) -> Tensor:
        x_mid = x + 0.5 * h * velocity_fn(x, t)
        return x + h * velocity_fn(x_mid, t + 0.5 * h)


@SOLVERS.register_module()
class HeunSolver(FixedStepSolver):
    """Heun's method (explicit trapezoidal rule); second order, two evaluations per step."""

    order = 2

    def step(self, velocity_fn: VelocityFn, x: Tensor, t: Tensor, h: Tensor) -> Tensor:
        k1 = velocity_fn(x, t)
        k2 = velocity_fn(x + h * k1, t + h)
        return x + 0.5 * h * (k1 + k2)


@SOLVERS.register_module()
class RK4Solver(FixedStepSolver):
    """Classical Runge-Kutta; fourth order, four evaluations per step."""

    order = 4

    def step(self, velocity_fn: VelocityFn, x: Tensor, t: Tensor, h: Tensor) -> Tensor:
        half = 0.5 * h
        k1 = velocity_fn(x, t)
        k2 = velocity_fn(x + half * k1, t + half)
        k3 = velocity_fn(x + half * k2, t + half)
        k4 = velocity_fn(x + h * k3, t + h)
        return x + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
