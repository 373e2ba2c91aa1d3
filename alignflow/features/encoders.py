"""Convolutional encoders as feature extractors: our own flow U-Net, or a fixed random CNN."""
import copy
from typing import List, Optional, Sequence, Union

import torch
from torch import nn

from alignflow.registry import FEATURE_EXTRACTORS, MODELS
from alignflow.utils.checkpoint import load_checkpoint_weights
from .base import FeatureExtractor

POOLS = ('mean', 'mean_std')


def global_pool(maps: Sequence[torch.Tensor], pool: str) -> torch.Tensor:
    """Pool feature maps (B, C_i, H_i, W_i) over space and concatenate -> (B, sum C_i) for
    ``'mean'``, (B, 2 * sum C_i) for ``'mean_std'`` (per map: channel means, then channel
    standard deviations -- first and second order "style" statistics)."""
    pooled = []
    for x in maps:
        pooled.append(x.mean(dim=(2, 3)))
        if pool == 'mean_std':
            pooled.append((x.var(dim=(2, 3), unbiased=False) + 1e-8).sqrt())
    return torch.cat(pooled, 1)


def _check_pool(pool: str) -> None:
    if pool not in POOLS:
        raise ValueError(f'pool must be one of {POOLS}, got {pool!r}')


class PooledEncoderFeatures(FeatureExtractor):
    """Base of the encoders whose chosen output maps are globally pooled: (B, 3, H, W) in
    [-1, 1] -> (B, D). Subclasses build the network, implement :meth:`_encode` (images ->
    list of (B, C_i, H_i, W_i) maps) and end ``__init__`` with :meth:`_finish`."""

    def _finish(self, levels: Sequence[int], pool: str, probe_size: int) -> None:
        """Pick the maps, freeze, and measure D with one pass on a blank
        (1, 3, probe_size, probe_size) image."""
        _check_pool(pool)
        self.levels = tuple(levels)
        self.pool = pool
        self._freeze()
        param = next(self.parameters())
        with torch.no_grad():
            maps = self._maps(param.new_zeros(1, 3, probe_size, probe_size))
        self._feature_dim = sum(m.shape[1] for m in maps) * (2 if pool == 'mean_std' else 1)

    @property
    def feature_dim(self) -> int:
        return self._feature_dim

    def extract(self, images: torch.Tensor) -> torch.Tensor:
        return global_pool(self._maps(images), self.pool)

    def _encode(self, images: torch.Tensor) -> Sequence[torch.Tensor]:
        raise NotImplementedError

    def _maps(self, images: torch.Tensor) -> List[torch.Tensor]:
        maps = self._encode(images)
        try:
            return [maps[i] for i in self.levels]
        except IndexError:
            raise ValueError(f'levels {self.levels} out of range for the {len(maps)} encoder '
                             f'outputs (valid: {-len(maps)}..{len(maps) - 1})') from None


@FEATURE_EXTRACTORS.register_module()
class UNetEncoderFeatures(PooledEncoderFeatures):
    """Globally pooled encoder features of a flow velocity U-Net: (B, 3, H, W) in [-1, 1] ->
    (B, D).

    Runs ``unet.forward_features(images, t, cond=None)`` (the null mask condition) and pools
    the maps picked by ``levels``; with the CondOT path, ``t=1`` is the data end, so the clean
    image is the network's natural input there. H and W must be divisible by the U-Net's
    ``downsample_factor``.

    Args:
        unet: A module with ``forward_features(x, t, cond)`` and ``in_channels == 3`` (e.g. a
            ``ConditionalUNet``; deep-copied, so a network still being trained stays
            untouched), or its config dict (``type`` defaults to ``'ConditionalUNet'``).
        checkpoint: mmengine checkpoint of a ``MaskConditionedFlow``: the U-Net weights are
            the keys under ``'velocity_net.'`` of its ``state_dict``. None keeps the U-Net's
            current weights.
        t: Flow time at which the U-Net sees the images.
        levels: Indices into ``forward_features``' list (one map per resolution level, then
            the middle block; -1 = middle block).
        pool: ``'mean'`` or ``'mean_std'``, see :func:`global_pool`.
        use_ema: Read the checkpoint's ``ema_state_dict`` instead (keys
            ``'module.velocity_net.*'``, as written by mmengine's ``ExponentialMovingAverage``).
            Caution: mmengine's ``EMAHook`` swaps the two dicts before saving, so in its
            checkpoints ``state_dict`` already holds the averaged weights and
            ``ema_state_dict`` the raw training weights.
    """

    def __init__(self,
                 unet: Union[nn.Module, dict],
                 checkpoint: Optional[str] = None,
                 t: float = 1.0,
                 levels: Sequence[int] = (-1, ),
                 pool: str = 'mean',
                 use_ema: bool = False) -> None:
        super().__init__()
        _check_pool(pool)
        if isinstance(unet, dict):
            unet = MODELS.build({'type': 'ConditionalUNet', **unet})
        else:
            unet = copy.deepcopy(unet)
        if getattr(unet, 'in_channels', 3) != 3:
            raise ValueError(f'the U-Net must take RGB images (in_channels=3), '
                             f'got in_channels={unet.in_channels}')
        self.unet = unet
        if checkpoint is not None:
            self._load(checkpoint, use_ema)
        self.t = t
        self._finish(levels, pool, probe_size=getattr(unet, 'downsample_factor', 1))

    def _encode(self, images: torch.Tensor) -> Sequence[torch.Tensor]:
        return self.unet.forward_features(images, self.t, None)

    def _load(self, checkpoint: str, use_ema: bool) -> None:
        """Load the velocity-net weights of a MaskConditionedFlow checkpoint (strict)."""
        key, prefix = (('ema_state_dict', 'module.velocity_net.') if use_ema else
                       ('state_dict', 'velocity_net.'))
        load_checkpoint_weights(
            self.unet, checkpoint, prefix=prefix, state_key=key, what='the given U-Net',
            hint=('save it with an EMAHook or pass use_ema=False' if use_ema else
                  'build the U-Net with the velocity_net config it was trained with'))


@FEATURE_EXTRACTORS.register_module()
class RandomConvFeatures(FeatureExtractor):
    """A fixed, randomly initialised CNN, pooled at every stage: (B, 3, H, W) in [-1, 1] ->
    (B, D), D = sum(widths) (x2 for ``pool='mean_std'``).

    A cheap second feature space for evaluation when no pretrained weights exist: stage ``i``
    is ``conv3x3(stride 2) - LeakyReLU(0.2) - conv3x3 - LeakyReLU(0.2)`` with ``widths[i]``
    channels, weights He-normal from a generator seeded with ``seed`` (same seed, same network,
    on every machine), zero biases. Random-weight distances must not be called FID.

    Args:
        seed: Seed of the weights.
        widths: Channels of each stage.
        pool: ``'mean'`` or ``'mean_std'``, see :func:`global_pool`.
    """

    def __init__(self,
                 seed: int = 0,
                 widths: Sequence[int] = (32, 64, 128),
                 pool: str = 'mean') -> None:
        super().__init__()
        _check_pool(pool)
        if not widths:
            raise ValueError('widths must name at least one stage')
        self.pool = pool
        self.widths = tuple(widths)
        stages, c_in = [], 3
        for width in self.widths:
            stages.append(nn.Sequential(
                nn.Conv2d(c_in, width, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
                nn.Conv2d(width, width, 3, padding=1), nn.LeakyReLU(0.2)))
            c_in = width
        self.stages = nn.ModuleList(stages)
        generator = torch.Generator().manual_seed(seed)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, a=0.2, nonlinearity='leaky_relu',
                                        generator=generator)
                nn.init.zeros_(module.bias)
        self._freeze()

    @property
    def feature_dim(self) -> int:
        return sum(self.widths) * (2 if self.pool == 'mean_std' else 1)

    def extract(self, images: torch.Tensor) -> torch.Tensor:
        maps, x = [], images
        for stage in self.stages:
            x = stage(x)
            maps.append(x)
        return global_pool(maps, self.pool)
