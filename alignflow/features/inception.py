"""The Inception-v3 network of the Fréchet Inception Distance, without torchvision.

A port of pytorch-fid's ``fid_inception_v3()`` (https://github.com/mseitzer/pytorch-fid,
``src/pytorch_fid/inception.py``, Apache-2.0), which patches torchvision's ``Inception3``
blocks (``torchvision/models/inception.py``, BSD-3-Clause) to match the TensorFlow graph of the
original FID code: ``BasicConv2d`` and the ``Inception{A..E}`` layouts come from torchvision,
the FID patches (average pooling that ignores padding, max pooling in the last block) from
pytorch-fid. Module and parameter names are those of pytorch-fid's model, so its weights file
``pt_inception-2015-12-05-6726825d.pth`` (ported from TensorFlow's inception-2015-12-05)
loads with ``strict=True``.
"""
import os
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.runner import CheckpointLoader
from torch import nn

from alignflow.registry import FEATURE_EXTRACTORS
from .base import FeatureExtractor, weights_unavailable_message

FID_WEIGHTS_URL = ('https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/'
                   'pt_inception-2015-12-05-6726825d.pth')
WEIGHTS_ENV = 'ALIGNFLOW_INCEPTION_WEIGHTS'
INPUT_SIZE = 299
NUM_CLASSES = 1008


class InceptionWeightsUnavailable(FileNotFoundError):
    """The FID Inception weights could neither be found locally nor downloaded."""


class BasicConv2d(nn.Module):
    """Conv (no bias) - BatchNorm (eps 1e-3) - ReLU."""

    def __init__(self, in_channels: int, out_channels: int, **kwargs) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _avg_pool_3x3(x: torch.Tensor) -> torch.Tensor:
    """3x3 stride-1 average pool that, like TensorFlow's, leaves padded zeros out of the mean."""
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class FIDInceptionA(nn.Module):
    """torchvision ``InceptionA`` (35x35 grid) with pytorch-fid's pooling patch:
    (B, C, H, W) -> (B, 224 + pool_features, H, W)."""

    def __init__(self, in_channels: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(in_channels, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(in_channels, pool_features, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        branch_pool = self.branch_pool(_avg_pool_3x3(x))
        return torch.cat([self.branch1x1(x), branch5x5, branch3x3dbl, branch_pool], 1)


class InceptionB(nn.Module):
    """torchvision ``InceptionB`` (grid reduction 35 -> 17): (B, C, H, W) ->
    (B, 480 + C, (H - 3) // 2 + 1, (W - 3) // 2 + 1)."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(in_channels, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        branch_pool = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([self.branch3x3(x), branch3x3dbl, branch_pool], 1)


class FIDInceptionC(nn.Module):
    """torchvision ``InceptionC`` (17x17 grid, factorised 7x7 convs) with pytorch-fid's pooling
    patch: (B, C, H, W) -> (B, 768, H, W)."""

    def __init__(self, in_channels: int, channels_7x7: int) -> None:
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(in_channels, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(in_channels, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(in_channels, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch7x7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        branch7x7dbl = self.branch7x7dbl_1(x)
        for conv in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                     self.branch7x7dbl_5):
            branch7x7dbl = conv(branch7x7dbl)
        branch_pool = self.branch_pool(_avg_pool_3x3(x))
        return torch.cat([self.branch1x1(x), branch7x7, branch7x7dbl, branch_pool], 1)


class InceptionD(nn.Module):
    """torchvision ``InceptionD`` (grid reduction 17 -> 8): (B, C, H, W) ->
    (B, 512 + C, (H - 3) // 2 + 1, (W - 3) // 2 + 1)."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch3x3 = self.branch3x3_2(self.branch3x3_1(x))
        branch7x7x3 = self.branch7x7x3_1(x)
        for conv in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            branch7x7x3 = conv(branch7x7x3)
        branch_pool = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([branch3x3, branch7x7x3, branch_pool], 1)


class FIDInceptionE(nn.Module):
    """torchvision ``InceptionE`` (8x8 grid, expanded filter banks) with pytorch-fid's patches:
    (B, C, H, W) -> (B, 2048, H, W).

    ``max_pool=False`` is pytorch-fid's ``FIDInceptionE_1`` (``Mixed_7b``: average pooling that
    ignores padding); ``max_pool=True`` its ``FIDInceptionE_2`` (``Mixed_7c``: the TensorFlow
    FID graph max-pools in the pool branch of the last block).
    """

    def __init__(self, in_channels: int, max_pool: bool) -> None:
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(in_channels, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(in_channels, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(in_channels, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch3x3 = self.branch3x3_1(x)
        branch3x3 = torch.cat([self.branch3x3_2a(branch3x3), self.branch3x3_2b(branch3x3)], 1)
        branch3x3dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        branch3x3dbl = torch.cat(
            [self.branch3x3dbl_3a(branch3x3dbl), self.branch3x3dbl_3b(branch3x3dbl)], 1)
        if self.max_pool:
            pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            pooled = _avg_pool_3x3(x)
        branch_pool = self.branch_pool(pooled)
        return torch.cat([self.branch1x1(x), branch3x3, branch3x3dbl, branch_pool], 1)


@FEATURE_EXTRACTORS.register_module()
class FIDInceptionV3(FeatureExtractor):
    """pool3 features (2048-d) of the FID Inception-v3: (B, 3, H, W) in [-1, 1] -> (B, 2048).

    Same computation as pytorch-fid's ``InceptionV3(output_blocks=[3], resize_input=True,
    normalize_input=True)``: bilinear resize to 299x299 (``align_corners=False``), the network
    up to the final average pool, flattened. pytorch-fid takes [0, 1] images and maps them to
    [-1, 1] (``2x - 1``, after resizing) before the network; AlignFlow images are already in
    [-1, 1] and go in unchanged, so both feed the network identical tensors (bilinear resizing
    commutes with the affine map). The 1008-way ``fc`` classifier of the
    weights file is kept (so the file loads with ``strict=True``) but never applied.

    Weights are taken from, in this order: ``weights`` (a local path or URL), the environment
    variable ``ALIGNFLOW_INCEPTION_WEIGHTS``, then :data:`FID_WEIGHTS_URL` (downloaded once
    into the torch hub cache by mmengine's ``CheckpointLoader``). Without them
    :class:`InceptionWeightsUnavailable` says how to get them. ``random_init=True`` builds a
    seeded random network instead (tests, or a feature space that must not be called FID);
    :attr:`has_pretrained_weights` records which case holds, so metrics can refuse to report a
    random-weight distance as "FID".

    Args:
        weights: Path or URL of pytorch-fid's weights file (or a state dict of the same layout,
            optionally under a ``state_dict`` key).
        random_init: Use random weights and load nothing (``weights`` must then be None).
        seed: Seed of the random weights.
    """

    input_size = INPUT_SIZE

    def __init__(self,
                 weights: Optional[str] = None,
                 random_init: bool = False,
                 seed: int = 0) -> None:
        super().__init__()
        if random_init and weights is not None:
            raise ValueError('pass either weights=... or random_init=True, not both')
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = FIDInceptionA(192, pool_features=32)
        self.Mixed_5c = FIDInceptionA(256, pool_features=64)
        self.Mixed_5d = FIDInceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = FIDInceptionC(768, channels_7x7=128)
        self.Mixed_6c = FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6d = FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6e = FIDInceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = FIDInceptionE(1280, max_pool=False)
        self.Mixed_7c = FIDInceptionE(2048, max_pool=True)
        self.fc = nn.Linear(2048, NUM_CLASSES)
        if random_init:
            self._init_random(seed)
        else:
            self._load_weights(weights or os.environ.get(WEIGHTS_ENV) or FID_WEIGHTS_URL)
        self.has_pretrained_weights = not random_init
        self._freeze()

    @property
    def feature_dim(self) -> int:
        return 2048

    def extract(self, images: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(images, size=(INPUT_SIZE, INPUT_SIZE), mode='bilinear',
                          align_corners=False)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b,
                      self.Mixed_6c, self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b,
                      self.Mixed_7c):
            x = block(x)
        return x.mean(dim=(2, 3))

    def _init_random(self, seed: int) -> None:
        """Seeded He-normal convs and fc (so activations neither vanish nor explode through
        the 48 conv layers), unit BatchNorm; running statistics stay at mean 0, var 1."""
        generator = torch.Generator().manual_seed(seed)
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, nonlinearity='relu', generator=generator)
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)

    def _load_weights(self, source: str) -> None:
        """Load pytorch-fid's weights from a path or URL (``strict=True``)."""
        try:
            checkpoint = CheckpointLoader.load_checkpoint(source, map_location='cpu')
        except OSError as error:  # missing file, no network (URLError), HTTP error
            raise InceptionWeightsUnavailable(weights_unavailable_message(
                'FID Inception', source, error, FID_WEIGHTS_URL, WEIGHTS_ENV, '~91 MiB')) from error
        state_dict = checkpoint.get('state_dict', checkpoint)
        try:
            self.load_state_dict(state_dict, strict=True)
        except RuntimeError as error:
            raise RuntimeError(
                f'{source} does not hold the FID Inception weights of pytorch-fid '
                f'({os.path.basename(FID_WEIGHTS_URL)}, from {FID_WEIGHTS_URL}): {error}'
            ) from error
