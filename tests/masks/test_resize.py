"""resize_mask: smooth upsampling that keeps the area, area-averaged downsampling."""
import cv2
import numpy as np

from alignflow.masks import resize_mask


def _disc(size, radius):
    mask = np.zeros((size, size), np.uint8)
    cv2.circle(mask, (size // 2, size // 2), radius, 1, -1)
    return mask


def _flat_rows(mask):
    """Share of consecutive rows whose left boundary does not move: nearest upsampling by 4
    repeats each row 4 times (a staircase), a smooth contour moves on most rows."""
    rows = [np.flatnonzero(row)[0] for row in mask if row.any()]
    steps = np.abs(np.diff(rows))
    middle = steps[len(steps) // 4:len(steps) // 2]  # the slanted part of the left edge
    return float((middle == 0).mean())


def test_upsampling_keeps_the_area_and_has_no_staircase():
    small = _disc(64, 20)
    smooth = resize_mask(small, (256, 256))
    nearest = cv2.resize(small, (256, 256), interpolation=cv2.INTER_NEAREST)
    assert smooth.dtype == np.uint8 and set(np.unique(smooth)) == {0, 1}
    assert abs(smooth.sum() / nearest.sum() - 1) < 0.02
    assert _flat_rows(smooth) < _flat_rows(nearest)


def test_downsampling_averages_and_same_size_is_unchanged():
    large = _disc(256, 80)
    small = resize_mask(large, (64, 64))
    assert abs(small.sum() * 16 / large.sum() - 1) < 0.03
    assert resize_mask(small, (64, 64)) is small
