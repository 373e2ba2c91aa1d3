"""Several frozen extractors side by side, as one feature space made of blocks."""
from typing import List, Optional, Sequence, Union

import torch
from torch import nn

from alignflow.registry import FEATURE_EXTRACTORS
from .base import FeatureExtractor


@FEATURE_EXTRACTORS.register_module()
class ConcatenatedFeatures(FeatureExtractor):
    """The features of several extractors, concatenated: (B, 3, H, W) in [-1, 1] ->
    (B, D_1 + ... + D_n).

    Made for a reward that should see two kinds of evidence at once, e.g. the colour and
    texture statistics of :class:`~alignflow.features.LowLevelStatistics` and the ImageNet
    structure of :class:`~alignflow.features.EfficientNetLiteFeatures`. The spaces keep their
    own units: :attr:`block_slices` gives each extractor's slice, and the stage-2 rewards and
    their diversity guard take their distance and spread in each block and average them (see
    :class:`~alignflow.rewards.DistributionReward`), so that no block outweighs the others by
    its scale or its length. A metric that reads the concatenation whole (KID, FD) does not
    balance the blocks; judge with a single space there.

    Args:
        extractors: Two or more extractor configs (registry FEATURE_EXTRACTORS) or modules.
        input_size: Side the metrics read images at; None (the default) keeps every
            extractor's own handling, which must then agree (all None, or all the same side).
    """

    def __init__(self, extractors: Sequence[Union[dict, nn.Module]],
                 input_size: Optional[int] = None) -> None:
        super().__init__()
        if isinstance(extractors, (dict, nn.Module)) or len(extractors) < 2:
            raise ValueError('ConcatenatedFeatures joins two extractors or more; got '
                             f'{extractors!r}. For one space, use that extractor itself')
        self.extractors = nn.ModuleList(
            FEATURE_EXTRACTORS.build(e) if isinstance(e, dict) else e for e in extractors)
        sizes = {e.input_size for e in self.extractors}
        if input_size is None and len(sizes) > 1:
            raise ValueError(f'the joined extractors read images at different sizes '
                             f'({sorted(map(str, sizes))}); give ConcatenatedFeatures an '
                             f'input_size for the metrics to read images at')
        self.input_size = input_size if input_size is not None else sizes.pop()
        self.block_slices: List[slice] = []
        start = 0
        for extractor in self.extractors:
            self.block_slices.append(slice(start, start + extractor.feature_dim))
            start += extractor.feature_dim
        self._feature_dim = start
        self._freeze()

    @property
    def feature_dim(self) -> int:
        return self._feature_dim

    def extract(self, images: torch.Tensor) -> torch.Tensor:
        return torch.cat([extractor(images).float() for extractor in self.extractors], 1)
