"""Ralston's second-order method, as an ODE solver registered from outside AlignFlow."""
from torch import Tensor

from alignflow.flow import FixedStepSolver, VelocityFn
from alignflow.registry import SOLVERS


@SOLVERS.register_module()
class RalstonSolver(FixedStepSolver):
    """Ralston's method: the second-order two-stage Runge-Kutta rule with the smallest error
    bound, ``k1 = v(x, t)``, ``k2 = v(x + 2/3 h k1, t + 2/3 h)``, ``x + h (k1 + 3 k2) / 4``.

    x: (B, ...), t: (B,), h: 0-dim tensor -> (B, ...). Truncated backprop (``grad_last_k``)
    and per-step checkpointing come from :class:`FixedStepSolver`.
    """

    order = 2

    def step(self, velocity_fn: VelocityFn, x: Tensor, t: Tensor, h: Tensor) -> Tensor:
        k1 = velocity_fn(x, t)
        k2 = velocity_fn(x + (2 / 3) * h * k1, t + (2 / 3) * h)
        return x + h * (0.25 * k1 + 0.75 * k2)
