"""Statistics of mask sets: foreground fraction, components, diversity and novelty.

Diversity and novelty compare masks by IoU after resizing them to a common ``size`` (nearest
neighbour): all pairwise intersections come from one matrix product of the flattened masks.
"""
from typing import Sequence, Tuple

import cv2
import numpy as np


def foreground_fraction(mask: np.ndarray) -> float:
    """Share of foreground pixels of an (H, W) {0, 1} mask."""
    return float((mask > 0).mean())


def component_count(mask: np.ndarray) -> int:
    """Number of 8-connected foreground components."""
    return cv2.connectedComponents((mask > 0).astype(np.uint8), connectivity=8)[0] - 1


def flatten_masks(masks: Sequence[np.ndarray], size: Tuple[int, int] = (64, 64)) -> np.ndarray:
    """(N, size[0] * size[1]) float32 {0, 1}: each mask resized (nearest) and flattened."""
    return np.stack([cv2.resize((m > 0).astype(np.uint8), size[::-1],
                                interpolation=cv2.INTER_NEAREST).ravel()
                     for m in masks]).astype(np.float32)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU (N, M) between flattened masks a (N, P) and b (M, P); two empty masks count 1."""
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def mean_pairwise_iou(flat: np.ndarray) -> float:
    """Mean IoU between distinct masks of a set (N, P): lower = more diverse."""
    if len(flat) < 2:
        return float('nan')
    iou = iou_matrix(flat, flat)
    return float((iou.sum() - np.trace(iou)) / (len(flat) * (len(flat) - 1)))


def nearest_iou(generated: np.ndarray, training: np.ndarray) -> np.ndarray:
    """For each generated mask (N, P), the IoU with its closest training mask (M, P): near 1
    means a copy of a training mask."""
    return iou_matrix(generated, training).max(axis=1)
