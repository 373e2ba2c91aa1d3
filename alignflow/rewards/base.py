"""Distribution rewards: a frozen feature extractor, a distance and a bank of reference features."""
from abc import ABC, abstractmethod
from typing import Dict, Iterator, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from alignflow.distances import spread_across_images
from alignflow.features import high_frequency_energy
from alignflow.registry import FEATURE_EXTRACTORS
from .diversity import diversity_shortfall


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


def image_patches(images: torch.Tensor, size: int, stride: int) -> torch.Tensor:
    """Every ``size`` x ``size`` patch of ``images`` on a grid of ``stride`` pixels.

    images: (B, C, H, W) -> (B * P, C, size, size), image-major (the P patches of image 0
    first), P = ((H - size) // stride + 1) * ((W - size) // stride + 1).
    """
    batch, channels, height, width = images.shape
    if size > min(height, width):
        raise ValueError(f'patch_size {size} is larger than the images ({height}x{width})')
    patches = F.unfold(images, size, stride=stride)  # (B, C * size * size, P)
    return patches.transpose(1, 2).reshape(-1, channels, size, size)


class DistributionReward(nn.Module, ABC):
    """Differentiable distance between generated images and K target-domain references.

    ``set_references`` embeds the references once (with flip views, so that a handful of
    images covers orientation) into a feature bank; ``forward`` embeds a generated batch and
    returns the distance to the bank as a loss (lower = closer to the target domain).

    Reward hacking guard: features built from colour/texture statistics can be lowered by
    per-pixel speckle that no real image shows. ``hf_tolerance`` bounds the mean
    high-frequency energy (mean |Laplacian|) of generated images to at most
    ``(1 + hf_tolerance)`` times the largest reference value; the excess is penalised with
    weight ``hf_weight``. ``None`` disables it.

    Patch-level features (``patch_size``): each image enters as its grid of patches, so K
    references give K x P feature vectors (and every view) instead of K: a distance between
    local appearance distributions, far better estimated from 5 images than from 5 pooled
    vectors. Splits of :meth:`reference_floor` still hold out whole images.

    Diversity guard (``diversity_weight`` > 0): a distance to a bank can be lowered by painting
    every image like the bank's average. ``loss_diversity`` = ``diversity_weight`` x
    :func:`~alignflow.rewards.diversity.diversity_shortfall` of the batch's spread across
    images (mean feature distance between different images) against the references' own
    (their identity views); it is 0 once the batch is as varied as the references, and needs
    2 references or more and batches of 2 images or more. The spread is taken in the reward's
    features, or in those of ``diversity_features`` (whole images): a space where a collapse
    shows that the reward's own statistics may not see. Given several extractors, the
    shortfall is taken in each and averaged, so the guard acts as soon as one of them sees the
    spread fall: random-CNN spreads describe the network as well as the images (two such
    networks can disagree on which way a run moved it, docs/benchmarks.md), and no one network
    speaks for the rest. :meth:`hold_spread_of` keys the guard to another set's spread (the
    stage-1 generator's own, ``FewShotAlignment(guard_spread='stage1')``): 5 references'
    spread is a noisy estimate of the target's.

    Subclasses define :meth:`distance` (abstract: the base class cannot be built).

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
        views: reference augmentations, see :func:`flip_views`.
        hf_tolerance: relative slack above the references' high-frequency energy.
        hf_weight: weight of the high-frequency penalty.
        patch_size: side of the patches features are computed on (None: whole images).
        patch_stride: step between patches (default: ``patch_size``, non-overlapping).
        diversity_weight: weight of the diversity guard (0 leaves it out).
        diversity_features: config of a frozen extractor for the guard's spread, or a list
            of them (each its own space, see above); None: the reward's features.
    """

    def __init__(self, feature_extractor: Union[dict, nn.Module],
                 views: Sequence[str] = ('id', 'hflip', 'vflip', 'hvflip'),
                 hf_tolerance: Union[float, None] = 0.1, hf_weight: float = 1.0,
                 patch_size: Optional[int] = None, patch_stride: Optional[int] = None,
                 diversity_weight: float = 0.0,
                 diversity_features: Union[dict, nn.Module, Sequence[Union[dict, nn.Module]],
                                           None] = None):
        super().__init__()
        if isinstance(feature_extractor, dict):
            feature_extractor = FEATURE_EXTRACTORS.build(feature_extractor)
        self.feature_extractor = feature_extractor
        check_views(views)
        self.views = tuple(views)
        self.hf_tolerance = hf_tolerance
        self.hf_weight = hf_weight
        if patch_size is not None and (patch_size < 1 or (patch_stride or 1) < 1):
            raise ValueError(f'patch_size {patch_size} and patch_stride {patch_stride} must be '
                             f'positive')
        self.patch_size = patch_size
        self.patch_stride = patch_stride or patch_size
        self.patches_per_image = 1
        if diversity_weight < 0:
            raise ValueError(f'diversity_weight must be >= 0, got {diversity_weight}')
        self.diversity_weight = diversity_weight
        if isinstance(diversity_features, (dict, nn.Module)):
            diversity_features = [diversity_features]
        if diversity_features is not None:
            if not diversity_features:
                raise ValueError('diversity_features is an empty list: give one extractor '
                                 'config or more, or None for the reward\'s own features')
            diversity_features = nn.ModuleList(
                FEATURE_EXTRACTORS.build(space) if isinstance(space, dict) else space
                for space in diversity_features)
        self.diversity_features = diversity_features
        self.register_buffer('reference_features', torch.empty(0), persistent=False)
        self.register_buffer('reference_hf', torch.empty(0), persistent=False)
        self.register_buffer('reference_spread', torch.empty(0), persistent=False)
        self.last_features: Optional[torch.Tensor] = None  # (B * P, D) of the latest forward

    @property
    def num_references(self) -> int:
        return self.reference_features.shape[0] // (max(len(self.views), 1) *
                                                    self.patches_per_image)

    def embed(self, images: torch.Tensor) -> Tuple[torch.Tensor, int]:
        """(B, 3, H, W) -> ((B * P, D) features, P), P patches per image (1 without
        ``patch_size``)."""
        if self.patch_size is None:
            return self.feature_extractor(images).float(), 1
        patches = image_patches(images, self.patch_size, self.patch_stride)
        return self.feature_extractor(patches).float(), patches.shape[0] // images.shape[0]

    def guard_spreads(self, images: torch.Tensor,
                      embedded: Optional[Tuple[torch.Tensor, int]] = None) -> torch.Tensor:
        """(B, 3, H, W) -> (N,) spreads across the images, one per space of the diversity
        guard (N = 1 in the reward's own features; ``embedded``, the reward's (features, P) of
        these images, spares embedding them twice)."""
        if self.diversity_features is None:
            return spread_across_images(*(embedded or self.embed(images)))[None]
        return torch.stack([spread_across_images(space(images).float())
                            for space in self.diversity_features])

    @torch.no_grad()
    def set_references(self, images: torch.Tensor) -> None:
        """images: (K, 3, H, W) RGB in [-1, 1], K >= 1."""
        if images.dim() != 4 or images.shape[0] == 0:
            raise ValueError(f'references must be a non-empty (K, 3, H, W) batch, got shape '
                             f'{tuple(images.shape)}')
        self.reference_features, self.patches_per_image = self.embed(
            flip_views(images, self.views))
        self.reference_hf = high_frequency_energy(images).float()
        if self.diversity_weight > 0:
            if images.shape[0] < 2:
                raise ValueError(f'diversity_weight={self.diversity_weight} compares the '
                                 f'spread of generated images with that of the references, '
                                 f'but there is {images.shape[0]} reference: use 2 or more, '
                                 f'or diversity_weight=0')
            self.reference_spread = self.guard_spreads(images)

    @torch.no_grad()
    def hold_spread_of(self, batches: Sequence[torch.Tensor]) -> torch.Tensor:
        """Key the diversity guard to the mean spread of the given (B, 3, H, W) image batches
        in [-1, 1] (B >= 2; e.g. the stage-1 generator's own samples) instead of the
        references'. Returns the new target, (N,) as :meth:`guard_spreads`."""
        if self.diversity_weight <= 0:
            raise ValueError('hold_spread_of sets the diversity guard\'s target, but the guard '
                             'is off (diversity_weight=0)')
        spreads = [self.guard_spreads(images.float().clamp(-1, 1)) for images in batches]
        self.reference_spread = torch.stack(spreads).mean(0)
        return self.reference_spread

    def held_count(self, batch_size: int) -> int:
        """References held out per split of :meth:`reference_floor`: a third of them, at
        least 2 and at most ``batch_size`` (generated images stand in for them one for one)."""
        return max(2, min(self.num_references // 3, batch_size))

    def _reference_splits(self, held_count: int, num_splits: int,
                          seed: int) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
        """Seeded splits of the bank: (one random view of each of ``held_count`` references,
        (held_count * P, D); every view of the other references, ((K - held_count) * V * P,
        D))."""
        views, count, patches = len(self.views), self.num_references, self.patches_per_image
        bank = self.reference_features.view(views, count, patches, -1)
        generator = torch.Generator().manual_seed(seed)
        for _ in range(num_splits):
            order = torch.randperm(count, generator=generator)
            picked = torch.randint(views, (held_count, ), generator=generator)
            order, picked = order.to(bank.device), picked.to(bank.device)
            yield (bank[picked, order[:held_count]].flatten(0, 1),
                   bank[:, order[held_count:]].flatten(0, 2))

    @torch.no_grad()
    def reference_floor(self, batch_size: int = 8, num_splits: int = 32,
                        seed: int = 0) -> Optional[float]:
        """How close real target images come to the references: the mean distance of held-out
        references to the others over seeded splits; None with fewer than 3 references.

        A held-out image enters as one view (its flip views are near-copies of each other and
        would inflate the within-set term: a leave-one-out floor measured 6-9x the reward of
        real target batches). Compare it with :meth:`matched_reward` of generated images, which
        scores them against the same banks with the same set sizes, rather than with the
        training reward: a bank of ``K - m`` references scores every set differently from the
        full bank (docs/benchmarks.md).
        """
        if self.num_references < 3:
            return None
        held_count = self.held_count(batch_size)
        values = [float(self.distance(held, rest)) for held, rest in
                  self._reference_splits(held_count, num_splits, seed)]
        return sum(values) / len(values)

    @torch.no_grad()
    def matched_reward(self, features: torch.Tensor, num_splits: int = 32,
                       seed: int = 0) -> Optional[float]:
        """The counterpart of :meth:`reference_floor` for generated images: per split,
        ``held_count`` of the images of the (B * P, D) ``features`` (a seeded draw) scored
        against the split's bank. Equal to the floor in expectation when the generator matches
        the target; None with fewer than 3 references."""
        if self.num_references < 3:
            return None
        per_image = features.view(-1, self.patches_per_image, features.shape[-1])
        held_count = self.held_count(per_image.shape[0])
        draw = torch.Generator().manual_seed(seed + 1)
        values = []
        for _, rest in self._reference_splits(held_count, num_splits, seed):
            chosen = torch.randperm(per_image.shape[0], generator=draw)[:held_count]
            values.append(float(self.distance(
                per_image[chosen.to(features.device)].flatten(0, 1), rest)))
        return sum(values) / len(values)

    @abstractmethod
    def distance(self, generated: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """generated: (B * P, D), reference: (R, D) features -> scalar distance."""

    def forward(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """images: (B, 3, H, W) in [-1, 1] -> dict of losses and logged values."""
        if self.reference_features.numel() == 0:
            raise RuntimeError('call set_references() before using the reward')
        features, patches = self.embed(images)
        if patches != self.patches_per_image:
            raise ValueError(f'generated images {tuple(images.shape[-2:])} give {patches} '
                             f'patches each, the references {self.patches_per_image}: give '
                             f'the references the generator\'s size (reference_size)')
        self.last_features = features.detach()
        losses = dict(loss_reward=self.distance(features, self.reference_features))
        hf = high_frequency_energy(images).float()
        losses['hf_energy'] = hf.mean().detach()
        if self.hf_tolerance is not None:
            bound = self.reference_hf.max() * (1 + self.hf_tolerance)
            losses['loss_hf'] = self.hf_weight * F.relu(hf.mean() / bound - 1).pow(2)
        if self.diversity_weight > 0:
            if images.shape[0] < 2:
                raise ValueError(f'the diversity guard needs batches of 2 images or more, got '
                                 f'{images.shape[0]}: raise the batch size or set '
                                 f'diversity_weight=0')
            spreads = self.guard_spreads(images, embedded=(features, patches))
            losses['spread_ratio'] = (spreads / self.reference_spread).mean().detach()
            losses['loss_diversity'] = self.diversity_weight * diversity_shortfall(
                spreads, self.reference_spread).mean()
        return losses
