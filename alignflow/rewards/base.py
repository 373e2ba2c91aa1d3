"""Distribution rewards: a frozen feature extractor, a distance and a bank of reference features."""
from abc import abstractmethod
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from alignflow.features import high_frequency_energy
from alignflow.registry import FEATURE_EXTRACTORS


VIEWS = dict(id=lambda x: x, hflip=lambda x: x.flip(-1), vflip=lambda x: x.flip(-2),
             hvflip=lambda x: x.flip(-1).flip(-2))


def check_views(views: Sequence[str]) -> None:
    unknown = [v for v in views if v not in VIEWS]
    if unknown or not views:
        raise ValueError(f'unknown reference views {unknown or "(none)"}; choose from '
                         f'{sorted(VIEWS)}')


def flip_views(images: torch.Tensor, views: Sequence[str]) -> torch.Tensor:
    """Augmented copies of the references, any of :data:`VIEWS`.

    images: (K, C, H, W) -> (K * len(views), C, H, W).
    """
    check_views(views)
    return torch.cat([VIEWS[v](images) for v in views])


class DistributionReward(nn.Module):
    """Differentiable distance between generated images and K target-domain references.

    ``set_references`` embeds the references once (with flip views, so that a handful of
    images covers orientation) into a feature bank; ``forward`` embeds a generated batch and
    returns the distance to the bank as a loss (lower = closer to the target domain).

    Reward hacking guard: features built from colour/texture statistics can be lowered by
    per-pixel speckle that no real image shows. ``hf_tolerance`` bounds the mean
    high-frequency energy (mean |Laplacian|) of generated images to at most
    ``(1 + hf_tolerance)`` times the largest reference value; the excess is penalised with
    weight ``hf_weight``. ``None`` disables it.

    Args:
        feature_extractor: config of a frozen extractor (registry FEATURE_EXTRACTORS).
        views: reference augmentations, see :func:`flip_views`.
        hf_tolerance: relative slack above the references' high-frequency energy.
        hf_weight: weight of the high-frequency penalty.
    """

    def __init__(self, feature_extractor: Union[dict, nn.Module],
                 views: Sequence[str] = ('id', 'hflip', 'vflip', 'hvflip'),
                 hf_tolerance: Union[float, None] = 0.1, hf_weight: float = 1.0):
        super().__init__()
        if isinstance(feature_extractor, dict):
            feature_extractor = FEATURE_EXTRACTORS.build(feature_extractor)
        self.feature_extractor = feature_extractor
        check_views(views)
        self.views = tuple(views)
        self.hf_tolerance = hf_tolerance
        self.hf_weight = hf_weight
        self.register_buffer('reference_features', torch.empty(0), persistent=False)
        self.register_buffer('reference_hf', torch.empty(0), persistent=False)

    @property
    def num_references(self) -> int:
        return self.reference_features.shape[0] // max(len(self.views), 1)

    @torch.no_grad()
    def set_references(self, images: torch.Tensor) -> None:
        """images: (K, 3, H, W) RGB in [-1, 1], K >= 1."""
        if images.dim() != 4 or images.shape[0] == 0:
            raise ValueError(f'references must be a non-empty (K, 3, H, W) batch, got shape '
                             f'{tuple(images.shape)}')
        self.reference_features = self.feature_extractor(flip_views(images, self.views)).float()
        self.reference_hf = high_frequency_energy(images).float()

    @torch.no_grad()
    def reference_floor(self, num_splits: int = 64, seed: int = 0) -> Optional[float]:
        """The reward a batch of real target images would get, estimated from the references
        alone; None with fewer than 3 references.

        Each of ``num_splits`` seeded splits holds out ``m = max(2, K // 3)`` references, takes
        one random view of each as a stand-in for a generated batch (distinct images, like
        independent samples) and measures its distance to every view of the other references.
        A held-out image must not bring its own flip views: they are near-copies of each other,
        which inflates the within-batch term (a leave-one-out estimate measured 6-9x the reward
        of real held-out batches). The bank of ``K - m`` images still leaves it about 1.2x
        (K = 10) to 2.7x (K = 5) too high, see docs/benchmarks.md.
        """
        views, count = len(self.views), self.num_references
        if count < 3:
            return None
        bank = self.reference_features.view(views, count, -1)
        held_count = max(2, count // 3)
        generator = torch.Generator().manual_seed(seed)
        values = []
        for _ in range(num_splits):
            order = torch.randperm(count, generator=generator).tolist()
            held, rest = order[:held_count], order[held_count:]
            picked = torch.randint(views, (held_count, ), generator=generator).tolist()
            batch = torch.stack([bank[v, i] for v, i in zip(picked, held)])
            values.append(float(self.distance(batch, bank[:, rest].flatten(0, 1))))
        return sum(values) / len(values)

    @abstractmethod
    def distance(self, generated: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """generated: (B, D), reference: (R, D) features -> scalar distance."""

    def forward(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """images: (B, 3, H, W) in [-1, 1] -> dict of losses and logged values."""
        if self.reference_features.numel() == 0:
            raise RuntimeError('call set_references() before using the reward')
        features = self.feature_extractor(images).float()
        losses = dict(loss_reward=self.distance(features, self.reference_features))
        hf = high_frequency_energy(images).float()
        losses['hf_energy'] = hf.mean().detach()
        if self.hf_tolerance is not None:
            bound = self.reference_hf.max() * (1 + self.hf_tolerance)
            losses['loss_hf'] = self.hf_weight * F.relu(hf.mean() / bound - 1).pow(2)
        return losses
