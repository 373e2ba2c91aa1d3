import numpy as np
import pytest

from alignflow.masks import (Binarize, FillHoles, KeepLargestComponents, MaskPostprocessChain,
                             MaskRejected, MorphClose, MorphOpen, RejectByArea,
                             RejectByComponents, RemoveSmallComponents, SmoothBoundary,
                             component_count)
from alignflow.registry import MASK_POSTPROCESSORS


def blobs(*boxes, size=32):
    mask = np.zeros((size, size), np.uint8)
    for top, left, height, width in boxes:
        mask[top:top + height, left:left + width] = 1
    return mask


def test_binarize_fixed_and_otsu():
    prob = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    assert Binarize(0.5)(prob).sum() == 32
    bimodal = np.where(blobs((2, 2, 4, 4), size=8) > 0, 0.9, 0.3).astype(np.float32)
    assert np.array_equal(Binarize('otsu')(bimodal), blobs((2, 2, 4, 4), size=8))
    assert Binarize('otsu')(np.full((8, 8), 0.7, np.float32)).sum() == 0  # constant: empty
    with pytest.raises(TypeError, match='float'):
        Binarize()(blobs((0, 0, 2, 2)))
    with pytest.raises(ValueError, match='threshold'):
        Binarize(2.0)


def test_fill_holes_fills_enclosed_background_only():
    ring = blobs((4, 4, 10, 10))
    ring[7:11, 7:11] = 0  # a hole
    notch = blobs((20, 0, 6, 6))
    notch[22:24, 0:2] = 0  # touches the border: not a hole
    filled = FillHoles()(ring | notch)
    assert filled[7:11, 7:11].all() and not filled[22:24, 0:2].any()


def test_specks_components_and_morphology():
    mask = blobs((2, 2, 10, 10), (20, 20, 6, 6), (28, 2, 1, 1))  # two blobs and a speck
    assert component_count(mask) == 3
    assert component_count(RemoveSmallComponents(min_area=4)(mask)) == 2
    largest = KeepLargestComponents(1)(mask)
    assert component_count(largest) == 1 and largest[2:12, 2:12].all()
    assert component_count(MorphOpen(3)(mask)) == 2  # the 1-px speck is opened away
    gap = blobs((2, 2, 10, 4), (2, 7, 10, 4))  # a 1-px gap between two bars
    assert component_count(MorphClose(3)(gap)) == 1
    jagged = blobs((8, 8, 16, 16))
    jagged[8, 8:24:2] = 0
    assert SmoothBoundary(5)(jagged)[8:10, 10:22].sum() < jagged[8:10, 10:22].sum() + 24


def test_rejections_say_why():
    with pytest.raises(MaskRejected, match='foreground fraction 0.0000 outside'):
        RejectByArea(min_fraction=0.01)(np.zeros((8, 8), np.uint8))
    with pytest.raises(MaskRejected, match='3 components outside \\[1, 2\\]'):
        RejectByComponents(1, 2)(blobs((0, 0, 2, 2), (5, 5, 2, 2), (10, 10, 2, 2)))
    assert RejectByComponents(1)(blobs((0, 0, 2, 2))).sum() == 4


def test_chain_from_config_cleans_a_noisy_map():
    prob = np.where(blobs((4, 4, 14, 14)) > 0, 0.9, 0.1).astype(np.float32)
    prob[8:10, 8:10] = 0.0  # hole
    prob[28, 28] = prob[2, 30] = prob[25:27, 5:7] = 1.0  # specks
    chain = MaskPostprocessChain([
        dict(type='Binarize', threshold='otsu'), dict(type='FillHoles'),
        dict(type='RemoveSmallComponents', min_area=8), dict(type='KeepLargestComponents'),
        dict(type='RejectByArea', min_fraction=0.05, max_fraction=0.5)])
    assert np.array_equal(chain(prob), blobs((4, 4, 14, 14)))
    assert 'Binarize' in MASK_POSTPROCESSORS.module_dict
    with pytest.raises(ValueError, match='start with Binarize'):
        MaskPostprocessChain([dict(type='FillHoles')])
    with pytest.raises(ValueError, match='empty'):
        MaskPostprocessChain([])
