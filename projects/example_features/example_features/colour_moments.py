"""Colour moments and edge strength, as a feature extractor registered from outside AlignFlow."""
import torch

from alignflow.features.base import FeatureExtractor
from alignflow.registry import FEATURE_EXTRACTORS


@FEATURE_EXTRACTORS.register_module()
class ColourMomentsFeatures(FeatureExtractor):
    """Per RGB channel: mean, standard deviation and mean absolute horizontal and vertical
    difference (edge strength): (B, 3, H, W) in [-1, 1] -> (B, 12). Weight-free, works at any
    size, and differentiable with respect to the images, as a reward needs.
    """

    def __init__(self) -> None:
        super().__init__()
        self._freeze()

    @property
    def feature_dim(self) -> int:
        return 12

    def extract(self, images: torch.Tensor) -> torch.Tensor:
        flat = images.flatten(2)  # (B, 3, H * W)
        dx = (images[..., :, 1:] - images[..., :, :-1]).abs().flatten(2).mean(-1)
        dy = (images[..., 1:, :] - images[..., :-1, :]).abs().flatten(2).mean(-1)
        return torch.cat([flat.mean(-1), flat.std(-1), dx, dy], dim=1)
