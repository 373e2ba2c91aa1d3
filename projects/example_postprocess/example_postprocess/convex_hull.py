"""Each blob replaced by its convex hull, as a mask post-processing step."""
import cv2
import numpy as np

from alignflow.registry import MASK_POSTPROCESSORS


@MASK_POSTPROCESSORS.register_module()
class ConvexHull:
    """Replace each foreground blob by its filled convex hull: notches, bays and holes are
    filled, and blobs whose hulls overlap merge. (H, W) uint8 {0, 1} -> (H, W) uint8 {0, 1},
    a superset of the input."""

    def __call__(self, mask: np.ndarray) -> np.ndarray:
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        out = np.zeros_like(mask)
        for contour in contours:
            cv2.fillPoly(out, [cv2.convexHull(contour)], 1)
        return out
