"""Turn a sampled mask map into a clean binary label: a chain of OpenCV operations from config.

A mask flow samples a continuous map; the chain binarises it, cleans it (morphology, holes,
specks, component count, boundary) and may reject it (foreground fraction or component count
out of range), in which case the synthesiser draws another. Each step is registered in
``MASK_POSTPROCESSORS``, so a config names the chain::

    mask_postprocess = [
        dict(type='Binarize', threshold='otsu'),
        dict(type='MorphOpen', kernel_size=3),
        dict(type='FillHoles'),
        dict(type='RemoveSmallComponents', min_area=16),
        dict(type='KeepLargestComponents', max_count=3),
        dict(type='RejectByArea', min_fraction=0.01, max_fraction=0.6),
    ]

Every step takes and returns an (H, W) uint8 array in {0, 1}; only ``Binarize`` takes the
sampled map, (H, W) float in [0, 1].
"""
from typing import List, Optional, Sequence, Union

import cv2
import numpy as np

from alignflow.registry import MASK_POSTPROCESSORS


class MaskRejected(ValueError):
    """A mask the chain refuses; the message says why (it goes to the synthesis manifest)."""


def _kernel(size: int, shape: str) -> np.ndarray:
    shapes = dict(ellipse=cv2.MORPH_ELLIPSE, rect=cv2.MORPH_RECT, cross=cv2.MORPH_CROSS)
    if shape not in shapes or size < 1:
        raise ValueError(f'kernel shape must be one of {sorted(shapes)} and size >= 1, got '
                         f'{shape!r}, {size}')
    return cv2.getStructuringElement(shapes[shape], (size, size))


def _components(mask: np.ndarray):
    """(count, labels (H, W) int32, areas (count,)) of the 8-connected foreground blobs."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return count - 1, labels, stats[1:, cv2.CC_STAT_AREA]


@MASK_POSTPROCESSORS.register_module()
class Binarize:
    """Map (H, W) float in [0, 1] -> {0, 1}: above a fixed ``threshold``, or Otsu's threshold
    of the map (``'otsu'``; a constant map gives all background)."""

    def __init__(self, threshold: Union[float, str] = 0.5):
        if threshold != 'otsu' and not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must be in [0, 1] or 'otsu', got {threshold!r}")
        self.threshold = threshold

    def __call__(self, prob: np.ndarray) -> np.ndarray:
        if prob.dtype == np.uint8:
            raise TypeError('Binarize takes the sampled map (float in [0, 1]), got uint8')
        if self.threshold == 'otsu':
            grey = np.round(np.clip(prob, 0, 1) * 255).astype(np.uint8)
            if grey.min() == grey.max():
                return np.zeros_like(grey)
            _, binary = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            return binary
        return (prob > float(self.threshold)).astype(np.uint8)


@MASK_POSTPROCESSORS.register_module()
class MorphOpen:
    """Morphological opening (erode, then dilate): removes thin protrusions and specks."""

    def __init__(self, kernel_size: int = 3, shape: str = 'ellipse'):
        self.kernel = _kernel(kernel_size, shape)

    def __call__(self, mask: np.ndarray) -> np.ndarray:
        return cv2.morphologyEx(mask, cv2.MORPH_OPEN, self.kernel)


@MASK_POSTPROCESSORS.register_module()
class MorphClose:
    """Morphological closing (dilate, then erode): closes small gaps and notches."""

    def __init__(self, kernel_size: int = 3, shape: str = 'ellipse'):
        self.kernel = _kernel(kernel_size, shape)

    def __call__(self, mask: np.ndarray) -> np.ndarray:
        return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, self.kernel)


@MASK_POSTPROCESSORS.register_module()
class FillHoles:
    """Set to foreground every background region that does not reach the border."""

    def __call__(self, mask: np.ndarray) -> np.ndarray:
        padded = np.pad(mask, 1)
        outside = padded.copy()
        flood = np.zeros((padded.shape[0] + 2, padded.shape[1] + 2), np.uint8)
        cv2.floodFill(outside, flood, (0, 0), 1)  # the background connected to the border
        holes = outside[1:-1, 1:-1] == 0
        return np.where(holes, 1, mask).astype(np.uint8)


@MASK_POSTPROCESSORS.register_module()
class RemoveSmallComponents:
    """Drop foreground components smaller than ``min_area`` pixels, or than ``min_fraction``
    of the image."""

    def __init__(self, min_area: int = 0, min_fraction: float = 0.0):
        self.min_area = min_area
        self.min_fraction = min_fraction

    def __call__(self, mask: np.ndarray) -> np.ndarray:
        count, labels, areas = _components(mask)
        limit = max(self.min_area, self.min_fraction * mask.size)
        keep = [i + 1 for i in range(count) if areas[i] >= limit]
        return np.isin(labels, keep).astype(np.uint8)


@MASK_POSTPROCESSORS.register_module()
class KeepLargestComponents:
    """Keep the ``max_count`` largest foreground components."""

    def __init__(self, max_count: int = 1):
        if max_count < 1:
            raise ValueError(f'max_count must be >= 1, got {max_count}')
        self.max_count = max_count

    def __call__(self, mask: np.ndarray) -> np.ndarray:
        count, labels, areas = _components(mask)
        if count <= self.max_count:
            return mask
        keep = np.argsort(-areas, kind='stable')[:self.max_count] + 1
        return np.isin(labels, keep).astype(np.uint8)


@MASK_POSTPROCESSORS.register_module()
class SmoothBoundary:
    """Smooth the outline: Gaussian blur of the mask (``kernel_size``, odd), then 0.5."""

    def __init__(self, kernel_size: int = 5):
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f'kernel_size must be odd and >= 1, got {kernel_size}')
        self.kernel_size = kernel_size

    def __call__(self, mask: np.ndarray) -> np.ndarray:
        blurred = cv2.GaussianBlur(mask.astype(np.float32), (self.kernel_size, ) * 2, 0)
        return (blurred > 0.5).astype(np.uint8)


@MASK_POSTPROCESSORS.register_module()
class RejectByArea:
    """Reject masks whose foreground fraction is outside [min_fraction, max_fraction]."""

    def __init__(self, min_fraction: float = 0.0, max_fraction: float = 1.0):
        self.min_fraction, self.max_fraction = min_fraction, max_fraction

    def __call__(self, mask: np.ndarray) -> np.ndarray:
        fraction = float(mask.mean())
        if not self.min_fraction <= fraction <= self.max_fraction:
            raise MaskRejected(f'foreground fraction {fraction:.4f} outside '
                               f'[{self.min_fraction}, {self.max_fraction}]')
        return mask


@MASK_POSTPROCESSORS.register_module()
class RejectByComponents:
    """Reject masks with fewer than ``min_count`` or more than ``max_count`` components."""

    def __init__(self, min_count: int = 1, max_count: Optional[int] = None):
        self.min_count, self.max_count = min_count, max_count

    def __call__(self, mask: np.ndarray) -> np.ndarray:
        count = _components(mask)[0]
        if count < self.min_count or (self.max_count is not None and count > self.max_count):
            raise MaskRejected(f'{count} components outside [{self.min_count}, '
                               f'{self.max_count if self.max_count is not None else "inf"}]')
        return mask


class MaskPostprocessChain:
    """The configured steps in order: (H, W) float map in [0, 1] -> (H, W) uint8 {0, 1}.

    Example:
        >>> import numpy as np
        >>> chain = MaskPostprocessChain([dict(type='Binarize'), dict(type='FillHoles'),
        ...                               dict(type='RejectByArea', min_fraction=0.1)])
        >>> ring = np.zeros((9, 9), np.float32)
        >>> ring[2:7, 2:7], ring[4, 4] = 1.0, 0.0
        >>> int(chain(ring).sum())  # the hole is filled
        25
        >>> chain(np.zeros((9, 9), np.float32))
        Traceback (most recent call last):
        ...
        alignflow.masks.postprocess.MaskRejected: foreground fraction 0.0000 outside [0.1, 1.0]

    Raises:
        MaskRejected: a rejecting step refused the mask.
    """

    def __init__(self, steps: Sequence[Union[dict, object]]):
        if not steps:
            raise ValueError('the mask post-processing chain is empty; start it with '
                             "dict(type='Binarize')")
        self.steps: List = [MASK_POSTPROCESSORS.build(s) if isinstance(s, dict) else s
                            for s in steps]
        if not isinstance(self.steps[0], Binarize):
            raise ValueError('the mask post-processing chain must start with Binarize (it '
                             'turns the sampled map into a label)')

    def __call__(self, prob: np.ndarray) -> np.ndarray:
        mask = prob
        for step in self.steps:
            mask = step(mask)
        return mask

    def __repr__(self) -> str:
        return f'{type(self).__name__}({[type(s).__name__ for s in self.steps]})'
