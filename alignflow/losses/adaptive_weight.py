"""A regulariser weight that grows when the loss it weighs drifts up from where it started."""
import math
from typing import Optional


class AdaptiveWeight:
    """``weight x clip(exp(rate x (loss / loss_start - 1 - slack)), 0.1, 10)``.

    Stage 2 uses it for the flow-matching regulariser: while the source flow-matching loss
    stays within ``slack`` of its value at the first step, the weight stays near ``weight``
    (a little below it); when alignment pushes that loss up, the weight rises exponentially
    (at most 10x), and it falls (at least 0.1x) when the loss improves.

    Example:
        >>> schedule = AdaptiveWeight(0.5, rate=1.0, slack=0.0)
        >>> schedule(2.0), round(schedule(4.0), 4)  # the start, then twice the start loss
        (0.5, 1.3591)

    Args:
        weight: the base weight (lambda).
        rate: how fast the weight reacts to the relative drift; None keeps ``weight`` fixed.
        slack: relative drift tolerated before the weight rises above ``weight``.
    """

    def __init__(self, weight: float, rate: Optional[float] = None, slack: float = 0.1):
        self.weight = weight
        self.rate = rate
        self.slack = slack
        self.start: Optional[float] = None

    def __call__(self, loss: float) -> float:
        """The weight for the current (detached) value of the weighed loss."""
        if self.rate is None:
            return self.weight
        if self.start is None:
            self.start = loss
        scale = math.exp(self.rate * (loss / max(self.start, 1e-12) - 1 - self.slack))
        return self.weight * min(max(scale, 0.1), 10.0)
