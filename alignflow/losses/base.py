"""The base class of the stage-2 loss parts."""
from abc import ABC, abstractmethod
from typing import Dict

from torch import Tensor, nn

from .alignment_batch import POINTS, AlignmentBatch


class AlignmentLoss(nn.Module, ABC):
    """A source-side term of the stage-2 objective: reads an :class:`AlignmentBatch` and returns
    its weighted loss under :attr:`loss_name` (and any values it logs beside it).

    Args:
        loss_weight: the term's weight.
        points: where the term compares velocities, ``'source'`` or ``'samples'`` (see
            :class:`AlignmentBatch`).
    """

    loss_name: str

    def __init__(self, loss_weight: float, points: str = 'source'):
        super().__init__()
        if points not in POINTS:
            raise ValueError(f"{type(self).__name__}: points must be 'source' (noised source "
                             f"pairs) or 'samples' (the model's own samples, noised), got "
                             f'{points!r}')
        self.loss_weight = loss_weight
        self.points = points

    def check_generator(self, generator: nn.Module) -> None:
        """Refuse a stage-1 generator this term cannot be computed for (any, by default)."""

    @abstractmethod
    def forward(self, batch: AlignmentBatch) -> Dict[str, Tensor]:
        """The term's losses and logged values for one batch."""
