"""Distribution rewards: a frozen feature extractor, a distance and a bank of reference features,
with guards as parts of their own."""
import logging
from abc import ABC, abstractmethod
from typing import Dict, Optional, Tuple, Union

import torch
from mmengine.logging import print_log
from torch import Tensor, nn

from alignflow.registry import FEATURE_EXTRACTORS
from .diversity_guard import DiversityGuard
from .hf_guard import HighFrequencyGuard
from .reference_bank import ReferenceBank
from .stage1_painter import Stage1Painter

Part = Union[dict, nn.Module, None]


def _build(part: Part, cls: type) -> Optional[nn.Module]:
    return cls(**part) if isinstance(part, dict) else part


class DistributionReward(nn.Module, ABC):
    """Differentiable distance between generated images and K target-domain references.

    A reward is built from parts, each configured where it lives:

    * ``feature_extractor``: a frozen extractor (registry FEATURE_EXTRACTORS);
    * :meth:`distance` between feature sets (what a subclass defines; the base class cannot
      be built);
    * ``bank``: the :class:`~alignflow.rewards.reference_bank.ReferenceBank`, the references'
      features in flip views and patches, filled once by :meth:`set_references`;
    * ``hf_guard``: the :class:`~alignflow.rewards.hf_guard.HighFrequencyGuard` against
      speckle that lowers a statistics reward (``loss_hf``);
    * ``diversity_guard``: the :class:`~alignflow.rewards.diversity_guard.DiversityGuard`
      against painting every image like the bank's average (``loss_diversity``), with its
      target spread (the references', or stage 1's through :meth:`prepare`).

    An extractor made of blocks (:class:`~alignflow.features.ConcatenatedFeatures`, its
    ``block_slices``) is read block by block: ``loss_reward`` is the mean of the distances in
    each block, and the guard in the reward's features keeps the spread of each, so that no
    space outweighs the others by its units or its length.

    ``forward`` embeds a generated batch and returns the distance to the bank as
    ``loss_reward`` (lower = closer to the target domain), with the guards' terms.

    Example:
        >>> import torch
        >>> from alignflow.rewards import MMDReward
        >>> reward = MMDReward(feature_extractor=dict(type='LowLevelStatistics'))
        >>> reward.set_references(torch.rand(5, 3, 16, 16) * 2 - 1)
        >>> reward.num_references
        5
        >>> losses = reward(torch.zeros(4, 3, 16, 16, requires_grad=True))
        >>> sorted(losses)
        ['hf_energy', 'loss_hf', 'loss_reward']

    Args:
        feature_extractor: config of a frozen extractor (registry FEATURE_EXTRACTORS).
        bank: :class:`ReferenceBank` arguments (``views``, ``patch_size``, ``patch_stride``).
        hf_guard: :class:`HighFrequencyGuard` arguments (``tolerance``, ``weight``); None
            leaves it out.
        diversity_guard: :class:`DiversityGuard` arguments (``weight``, ``features``,
            ``target``); None (the default) leaves it out.
    """

    def __init__(self, feature_extractor: Union[dict, nn.Module], bank: Part = None,
                 hf_guard: Part = dict(tolerance=0.1, weight=1.0),
                 diversity_guard: Part = None):
        super().__init__()
        if isinstance(feature_extractor, dict):
            feature_extractor = FEATURE_EXTRACTORS.build(feature_extractor)
        self.feature_extractor = feature_extractor
        self.bank = _build(bank or {}, ReferenceBank)
        self.hf_guard = _build(hf_guard, HighFrequencyGuard)
        self.diversity_guard = _build(diversity_guard, DiversityGuard)
        self.blocks = list(getattr(feature_extractor, 'block_slices', None) or [slice(None)])
        if self.diversity_guard is not None:
            self.diversity_guard.blocks = self.blocks
        self.last_features: Optional[Tensor] = None  # (B * P, D) of the latest forward

    @property
    def num_references(self) -> int:
        return self.bank.num_references

    def embed(self, images: Tensor) -> Tuple[Tensor, int]:
        """(B, 3, H, W) -> ((B * P, D) features, P), P patches per image (see the bank)."""
        units, patches = self.bank.units(images)
        return self.feature_extractor(units).float(), patches

    @torch.no_grad()
    def set_references(self, images: Tensor) -> None:
        """images: (K, 3, H, W) RGB in [-1, 1], K >= 1."""
        if images.dim() != 4 or images.shape[0] == 0:
            raise ValueError(f'references must be a non-empty (K, 3, H, W) batch, got shape '
                             f'{tuple(images.shape)}')
        self.bank.fill(images, self.embed)
        if self.hf_guard is not None:
            self.hf_guard.set_references(images)
        if self.diversity_guard is not None and images.shape[0] < 2:
            print_log('one reference has no spread to keep: the diversity guard is off for '
                      'this run (with 2 or more references it keeps the generated batch as '
                      'varied as they are)', logger='current', level=logging.WARNING)
            self.diversity_guard = None
        if self.diversity_guard is not None:
            self.diversity_guard.set_references(images, self.embed)

    def prepare(self, stage1: Stage1Painter) -> None:
        """Before a training batch is sampled, with stage 1's images for its masks on request:
        a guard keyed to stage 1 measures its target here."""
        if self.diversity_guard is not None:
            self.diversity_guard.prepare(stage1, self.embed)

    @abstractmethod
    def distance(self, generated: Tensor, reference: Tensor) -> Tensor:
        """generated: (B * P, D), reference: (R, D) features -> scalar distance."""

    def feature_distance(self, generated: Tensor, reference: Tensor) -> Tensor:
        """generated: (N, D), reference: (R, D) features of the reward's extractor -> the
        scalar :meth:`distance`, averaged over the extractor's blocks."""
        return torch.stack([self.distance(generated[:, block], reference[:, block])
                            for block in self.blocks]).mean()

    def forward(self, images: Tensor) -> Dict[str, Tensor]:
        """images: (B, 3, H, W) in [-1, 1] -> dict of losses and logged values."""
        if self.bank.features.numel() == 0:
            raise RuntimeError('call set_references() before using the reward')
        features, patches = self.embed(images)
        if patches != self.bank.patches_per_image:
            raise ValueError(f'generated images {tuple(images.shape[-2:])} give {patches} '
                             f'patches each, the references {self.bank.patches_per_image}: '
                             f'give the references the generator\'s size (reference_size)')
        self.last_features = features.detach()
        losses = dict(loss_reward=self.feature_distance(features, self.bank.features))
        if self.hf_guard is not None:
            losses.update(self.hf_guard(images))
        if self.diversity_guard is not None:
            losses.update(self.diversity_guard(images, self.embed, (features, patches)))
        return losses
