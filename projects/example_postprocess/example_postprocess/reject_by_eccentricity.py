"""Refuse elongated blobs, as a rejecting mask post-processing step."""
import cv2
import numpy as np

from alignflow.masks.postprocess import MaskRejected
from alignflow.registry import MASK_POSTPROCESSORS


def eccentricity(blob: np.ndarray) -> float:
    """Eccentricity ``sqrt(1 - l2 / l1)`` of the ellipse with the second moments of a blob,
    (H, W) uint8 {0, 1}, taken as a region of unit squares: a single pixel or a disc gives 0,
    an n:1 rectangle ``sqrt(1 - 1 / n**2)``, an empty mask 0."""
    m = cv2.moments(blob, binaryImage=True)
    var_x, var_y = m['mu20'] + m['m00'] / 12, m['mu02'] + m['m00'] / 12
    mean = (var_x + var_y) / 2
    spread = float(np.hypot((var_x - var_y) / 2, m['mu11']))
    return float(np.sqrt(1 - (mean - spread) / (mean + spread))) if mean > 0 else 0.0


@MASK_POSTPROCESSORS.register_module()
class RejectByEccentricity:
    """Reject a mask when any of its 8-connected blobs has an eccentricity (see
    :func:`eccentricity`) above ``max_eccentricity``: 0 is a disc, 0.9 about a 2.3:1 ellipse,
    1 a line. (H, W) uint8 {0, 1} -> the same mask, or :class:`MaskRejected`."""

    def __init__(self, max_eccentricity: float = 0.9):
        if not 0.0 <= max_eccentricity <= 1.0:
            raise ValueError(f'max_eccentricity must be in [0, 1], got {max_eccentricity}')
        self.max_eccentricity = max_eccentricity

    def __call__(self, mask: np.ndarray) -> np.ndarray:
        count, labels = cv2.connectedComponents(mask, connectivity=8)
        for label in range(1, count):
            value = eccentricity((labels == label).astype(np.uint8))
            if value > self.max_eccentricity:
                raise MaskRejected(f'a blob has eccentricity {value:.3f} > '
                                   f'{self.max_eccentricity}')
        return mask
