import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from alignflow.masks import MaskRejected
from alignflow.registry import MASK_POSTPROCESSORS, MODELS

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / 'projects' / 'example_postprocess'
CONFIG = PROJECT / 'configs' / 'maskflow_toy_32px_convex.py'


@pytest.fixture(scope='module')
def cfg():
    """The project's config; loading it imports the package (``custom_imports``), dropped
    from the modules afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(PROJECT))
        yield Config.fromfile(str(CONFIG))
    for name in ('', '.convex_hull', '.reject_by_eccentricity'):
        sys.modules.pop(f'example_postprocess{name}', None)


def box(mask, top, left, height, width):
    mask[top:top + height, left:left + width] = 1
    return mask


def test_convex_hull_fills_notches_and_holes_and_keeps_blobs_apart(cfg):
    hull = MASK_POSTPROCESSORS.build(dict(type='ConvexHull'))
    ell = box(box(np.zeros((12, 12), np.uint8), 1, 1, 6, 2), 5, 1, 2, 6)  # an L
    out = hull(ell)
    assert out.dtype == np.uint8 and set(np.unique(out)) == {0, 1}
    assert (out >= ell).all() and out[4, 3] == 1  # the bay filled
    assert out[1, 6] == 0 and out[2, 6] == 0  # outside the hull
    ring = box(np.zeros((9, 9), np.uint8), 2, 2, 5, 5)
    ring[4, 4] = 0
    assert hull(ring).sum() == 25
    two = box(box(np.zeros((12, 12), np.uint8), 0, 0, 3, 3), 8, 8, 3, 3)
    assert np.array_equal(hull(two), two)  # convex already, and not merged
    assert hull(np.zeros((5, 5), np.uint8)).sum() == 0


def test_reject_by_eccentricity_refuses_elongated_blobs_only(cfg):
    from example_postprocess.reject_by_eccentricity import eccentricity
    assert eccentricity(box(np.zeros((8, 8), np.uint8), 2, 2, 4, 4)) == pytest.approx(0)
    assert eccentricity(box(np.zeros((8, 8), np.uint8), 2, 1, 2, 6)) == \
        pytest.approx(np.sqrt(1 - 1 / 9))  # a 3:1 rectangle
    assert eccentricity(np.eye(1, dtype=np.uint8)) == 0  # one pixel is round

    step = MASK_POSTPROCESSORS.build(dict(type='RejectByEccentricity', max_eccentricity=0.9))
    square, bar = box(np.zeros((16, 16), np.uint8), 2, 2, 5, 5), np.zeros((16, 16), np.uint8)
    box(bar, 12, 1, 2, 12)  # 6:1, eccentricity 0.986
    assert step(square) is square  # kept unchanged
    assert step(np.zeros((16, 16), np.uint8)).sum() == 0  # no blob, nothing to refuse
    with pytest.raises(MaskRejected, match='eccentricity 0.986 > 0.9'):
        step(square | bar)  # one elongated blob is enough
    with pytest.raises(ValueError, match='max_eccentricity'):
        MASK_POSTPROCESSORS.build(dict(type='RejectByEccentricity', max_eccentricity=1.5))


def test_the_config_chain_includes_the_project_steps(cfg):
    ours = cfg.to_dict()
    product = Config.fromfile(str(REPO / 'configs/maskflow/maskflow_toy_32px.py')).to_dict()
    assert ours.pop('custom_imports')['imports'] == ['example_postprocess']
    ours['model'].pop('postprocess')
    product['model'].pop('postprocess')
    assert ours == product  # the toy mask generator but for its chain

    chain = MODELS.build(cfg.model).postprocess
    names = [type(step).__name__ for step in chain.steps]
    assert names[0] == 'Binarize' and names.index('ConvexHull') < names.index(
        'RejectByEccentricity') < names.index('RejectByArea')
    notched = np.zeros((32, 32), np.float32)
    notched[8:20, 8:20], notched[12:16, 8:12] = 0.9, 0.1  # a square with a bay
    assert chain(notched)[12:16, 8:12].all()  # filled by the hull
    streak = np.zeros((32, 32), np.float32)
    streak[4:7, 2:30] = 0.9
    with pytest.raises(MaskRejected, match='eccentricity'):
        chain(streak)
