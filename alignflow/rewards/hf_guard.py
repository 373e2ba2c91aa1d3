"""The reward's guard against high-frequency reward hacking."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from alignflow.features import high_frequency_energy


class HighFrequencyGuard(nn.Module):
    """Features built from colour/texture statistics can be lowered by per-pixel speckle that
    no real image shows. The guard bounds the mean high-frequency energy (mean |Laplacian|) of
    a generated batch to at most ``(1 + tolerance)`` times the largest reference value and
    penalises the excess: ``loss_hf`` = ``weight`` x relu(mean / bound - 1)^2. It logs the
    batch's mean as ``hf_energy``.

    Args:
        tolerance: relative slack above the references' high-frequency energy; None only logs
            ``hf_energy``.
        weight: weight of the penalty.
    """

    def __init__(self, tolerance: Optional[float] = 0.1, weight: float = 1.0):
        super().__init__()
        self.tolerance = tolerance
        self.weight = weight
        self.register_buffer('reference_energy', torch.empty(0), persistent=False)

    @torch.no_grad()
    def set_references(self, images: Tensor) -> None:
        """images: (K, 3, H, W) in [-1, 1]."""
        self.reference_energy = high_frequency_energy(images).float()

    def forward(self, images: Tensor) -> Dict[str, Tensor]:
        """images: (B, 3, H, W) in [-1, 1] -> ``hf_energy`` and ``loss_hf``."""
        energy = high_frequency_energy(images).float()
        losses = dict(hf_energy=energy.mean().detach())
        if self.tolerance is not None:
            bound = self.reference_energy.max() * (1 + self.tolerance)
            losses['loss_hf'] = self.weight * F.relu(energy.mean() / bound - 1).pow(2)
        return losses
