"""The reward's guard against a collapse of the batch's variety."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from torch import Tensor, nn

from alignflow.distances import spread_across_images
from alignflow.registry import FEATURE_EXTRACTORS
from .diversity import diversity_shortfall
from .reference_bank import Embed
from .stage1_painter import Stage1Painter

TARGETS = ('references', 'stage1', 'stage1_batch')
STAGE1_SPREAD_DRAWS = 4  # stage-1 batches averaged into the target (target='stage1')

Spaces = Union[dict, nn.Module, Sequence[Union[dict, nn.Module]], None]


class DiversityGuard(nn.Module):
    """A distance to a bank can be lowered by painting every image like the bank's average.
    ``loss_diversity`` = ``weight`` x :func:`~alignflow.rewards.diversity.diversity_shortfall`
    of the batch's spread across images (mean feature distance between different images)
    against a target spread; 0 once the batch is as varied as the target. Logs
    ``spread_ratio``, the batch's spread over the target's (mean over spaces).

    The spread is taken in the reward's features, or in those of ``features`` (whole images):
    a space where a collapse shows that the reward's own statistics may not see. Given several
    extractors, the shortfall is taken in each and averaged, so the guard acts as soon as one
    of them sees the spread fall: random-CNN spreads describe the network as well as the images
    (two such networks can disagree on which way a run moved it, docs/notes/study_log.md), and no
    one network speaks for the rest.

    The target (``target``):

    * ``'references'``: the references' own spread (their identity views; needs 2 or more);
    * ``'stage1'``: stage 1's: the mean spread of :data:`STAGE1_SPREAD_DRAWS` batches stage 1
      paints for the first batch's masks, measured once (again after a resume: stage 1 is
      stage 1 whatever the run has trained). 5 references' spread is a noisy estimate of the
      target's; this keeps the variety stage 1 had, as far as the first batch's masks speak
      for the rest;
    * ``'stage1_batch'``: stage 1's spread on every batch, painted from the same noise for the
      same masks (one more sampling pass, without gradients): like compared with like,
      whatever masks a batch holds.

    Args:
        weight: weight of the guard.
        features: config of a frozen extractor for the spread, or a list of them (each its
            own space); None: the reward's features.
        target: ``'references'``, ``'stage1'`` or ``'stage1_batch'`` (see above).
    """

    def __init__(self, weight: float = 1.0, features: Spaces = None,
                 target: str = 'references'):
        super().__init__()
        if weight <= 0:
            raise ValueError(f'the diversity guard\'s weight must be > 0, got {weight}; '
                             f'model.reward.diversity_guard=None leaves the guard out')
        if target not in TARGETS:
            raise ValueError(f"the diversity guard's target must be 'references', 'stage1' or "
                             f"'stage1_batch', got {target!r}")
        self.weight = weight
        self.target = target
        if isinstance(features, (dict, nn.Module)):
            features = [features]
        if features is not None:
            if not features:
                raise ValueError('the diversity guard\'s features is an empty list: give one '
                                 'extractor config or more, or None for the reward\'s own '
                                 'features')
            features = nn.ModuleList(
                FEATURE_EXTRACTORS.build(space) if isinstance(space, dict) else space
                for space in features)
        self.features = features
        # Slices of the reward's features taken as spaces of their own (set by the reward
        # for an extractor made of blocks); unused with ``features``.
        self.blocks = [slice(None)]
        self.register_buffer('target_spread', torch.empty(0), persistent=False)
        self._stage1_held = False

    def spreads(self, images: Tensor, embed: Embed,
                embedded: Optional[Tuple[Tensor, int]] = None) -> Tensor:
        """(B, 3, H, W) -> (N,) spreads across the images, one per space (in the reward's
        features, which ``embed`` computes, one per block; ``embedded``, the reward's
        (features, P) of these images, spares embedding them twice)."""
        if self.features is None:
            features, patches = embedded or embed(images)
            return torch.stack([spread_across_images(features[:, block], patches)
                                for block in self.blocks])
        return torch.stack([spread_across_images(space(images).float())
                            for space in self.features])

    @torch.no_grad()
    def set_references(self, images: Tensor, embed: Embed) -> None:
        """images: (K, 3, H, W) in [-1, 1], K >= 2: their spread is the first target."""
        if images.shape[0] < 2:
            raise ValueError(f'the diversity guard compares the spread of generated images '
                             f'with that of the references, but there is {images.shape[0]} '
                             f'reference: use 2 or more, or model.reward.diversity_guard=None')
        self.target_spread = self.spreads(images, embed)

    @torch.no_grad()
    def hold_spread_of(self, batches: List[Tensor], embed: Embed) -> Tensor:
        """Make the target the mean spread of the (B, 3, H, W) image ``batches`` in [-1, 1]
        (B >= 2); returns it, (N,) one per space."""
        # Spreads (distances between features) lose too much in bf16/fp16.
        with torch.autocast(device_type=batches[0].device.type, enabled=False):
            spreads = [self.spreads(images.float().clamp(-1, 1), embed) for images in batches]
        self.target_spread = torch.stack(spreads).mean(0)
        return self.target_spread

    def prepare(self, stage1: Stage1Painter, embed: Embed) -> None:
        """Before the batch is sampled: a target of stage 1's is measured here."""
        if self.target == 'stage1' and not self._stage1_held:
            batches = stage1.from_fresh_noise(STAGE1_SPREAD_DRAWS)
            spread = self.hold_spread_of(batches, embed)
            print_log(f'diversity guard: holds stage 1\'s spread '
                      f'{", ".join(f"{value:.4f}" for value in spread.tolist())} (mean of '
                      f'{STAGE1_SPREAD_DRAWS} batches of {batches[0].shape[0]})',
                      logger='current')
            self._stage1_held = True
        elif self.target == 'stage1_batch':
            self.hold_spread_of([stage1.from_batch_noise()], embed)

    def forward(self, images: Tensor, embed: Embed,
                embedded: Tuple[Tensor, int]) -> Dict[str, Tensor]:
        """images: (B, 3, H, W) in [-1, 1], B >= 2; ``embedded``: the reward's (features, P)
        of them -> ``spread_ratio`` and ``loss_diversity``."""
        if images.shape[0] < 2:
            raise ValueError(f'the diversity guard needs batches of 2 images or more, got '
                             f'{images.shape[0]}: raise the batch size or set '
                             f'model.reward.diversity_guard=None')
        spreads = self.spreads(images, embed, embedded)
        return dict(spread_ratio=(spreads / self.target_spread).mean().detach(),
                    loss_diversity=self.weight * diversity_shortfall(
                        spreads, self.target_spread).mean())
