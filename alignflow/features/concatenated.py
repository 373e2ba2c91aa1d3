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

    From the command line (``--cfg-options`` parses a list of names, not of dicts; the ``+``
    adds a key the config does not have yet)::

        model.reward.feature_extractor.type=ConcatenatedFeatures \
        "+model.reward.feature_extractor.extractors=[LowLevelStatistics,EfficientNetLiteFeatures]"

    Args:
        extractors: Two or more extractors: configs (registry FEATURE_EXTRACTORS), registered
            type names (built with their defaults) or modules.
        input_size: Side the metrics read images at; None (the default) keeps every
            extractor's own handling, which must then agree (all None, or all the same side).
    """

    def __init__(self, extractors: Sequence[Union[dict, str, nn.Module]],
                 input_size: Optional[int] = None) -> None:
        super().__init__()
        if isinstance(extractors, (dict, str, nn.Module)) or len(extractors) < 2:
            raise ValueError('ConcatenatedFeatures joins two extractors or more; got '
                             f'{extractors!r}. For one space, use that extractor itself')
        self.extractors = nn.ModuleList(_build(e) for e in extractors)
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


def _build(extractor: Union[dict, str, nn.Module]) -> nn.Module:
    if isinstance(extractor, str):
        if extractor not in FEATURE_EXTRACTORS:
            raise ValueError(f'{extractor!r} is not a registered feature extractor; choose from '
                             f'{sorted(FEATURE_EXTRACTORS.module_dict)}')
        extractor = dict(type=extractor)
    return FEATURE_EXTRACTORS.build(extractor) if isinstance(extractor, dict) else extractor
