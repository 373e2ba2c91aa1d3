import numpy as np

from alignflow.masks import (component_count, flatten_masks, foreground_fraction, iou_matrix,
                             mean_pairwise_iou, nearest_iou)


def square(top, left, side, size=16):
    mask = np.zeros((size, size), np.uint8)
    mask[top:top + side, left:left + side] = 255
    return mask


def test_fraction_components_and_iou():
    a, b = square(0, 0, 8), square(0, 4, 8)
    assert foreground_fraction(a) == 0.25 and component_count(a | square(12, 12, 2)) == 2
    flat = flatten_masks([a, b], size=(16, 16))
    assert flat.shape == (2, 256) and set(np.unique(flat)) == {0.0, 1.0}
    assert np.isclose(iou_matrix(flat, flat)[0, 1], 32 / 96)
    assert np.isclose(mean_pairwise_iou(flat), 32 / 96)
    empty = flatten_masks([np.zeros((16, 16), np.uint8)] * 2, size=(16, 16))
    assert iou_matrix(empty, empty)[0, 1] == 1.0  # two empty masks are the same


def test_novelty_finds_copies():
    training = flatten_masks([square(0, 0, 8), square(8, 8, 8)], size=(16, 16))
    generated = flatten_masks([square(0, 0, 8), square(4, 4, 4)], size=(16, 16))
    nearest = nearest_iou(generated, training)
    assert nearest[0] == 1.0 and nearest[1] < 0.3
