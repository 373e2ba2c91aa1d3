"""Binary masks at another size without the staircase of nearest-neighbour resizing.

A mask generator samples at its training resolution (64 px on a CPU) while the image generator
may paint at 256 px; nearest-neighbour upsampling would hand the image generator 4x4-pixel
steps along every lesion boundary, an edge no real mask has. Upsampling interpolates the mask
linearly, smooths it with a Gaussian of about half the scale factor and thresholds it at 0.5,
which keeps the area (to within a pixel along the boundary) and gives a smooth contour;
downsampling averages the pixels each output pixel covers (area) and thresholds at 0.5.
"""
from typing import Sequence

import cv2
import numpy as np


def resize_mask(mask: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """``mask``: (h, w) {0, 1} -> (H, W) uint8 {0, 1} at ``size`` = (H, W); unchanged when the
    size is already that (see the module docstring for how)."""
    height, width = size
    if mask.shape == (height, width):
        return mask
    soft = mask.astype(np.float32)
    scale = max(height / mask.shape[0], width / mask.shape[1])
    if scale > 1:
        soft = cv2.resize(soft, (width, height), interpolation=cv2.INTER_LINEAR)
        soft = cv2.GaussianBlur(soft, (0, 0), sigmaX=scale / 2)
    else:
        soft = cv2.resize(soft, (width, height), interpolation=cv2.INTER_AREA)
    return (soft >= 0.5).astype(np.uint8)
