"""Fixtures for dataset tests: the standard pipeline and a writer of small image-mask folders."""
import zlib
from pathlib import Path
from typing import Callable, Optional, Sequence

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope

import alignflow  # noqa: F401  (before mmseg: makes mmcv.ops importable)
from alignflow.registry import DATASETS


@pytest.fixture
def seg_pipeline() -> list:
    """Load, check, resize to 64 x 64, flip and pack, as a training config would."""
    return [
        dict(type='LoadCheckedImage'),
        dict(type='LoadBinaryMask'),
        dict(type='Resize', scale=(64, 64), keep_ratio=False),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackSegInputs'),
    ]


@pytest.fixture
def build_dataset() -> Callable:
    """Build a dataset config through the AlignFlow registry under the ``alignflow`` scope."""

    def build(cfg: dict):
        with DefaultScope.overwrite_default_scope('alignflow'):
            return DATASETS.build(cfg)

    return build


@pytest.fixture
def write_pair() -> Callable:
    """``write_pair(root, stem, ...)`` writes ``root/images/<stem><ext>`` and/or its mask."""

    def write(root: Path,
              stem: str,
              hw: Sequence[int] = (40, 50),
              ext: str = '.png',
              mask: Optional[np.ndarray] = None,
              image: bool = True,
              with_mask: bool = True) -> None:
        rng = np.random.default_rng(zlib.crc32(stem.encode()))
        if image:
            (root / 'images').mkdir(parents=True, exist_ok=True)
            img = rng.integers(0, 256, (*hw, 3), dtype=np.uint8)
            assert cv2.imwrite(str(root / 'images' / f'{stem}{ext}'), img)
        if with_mask:
            (root / 'masks').mkdir(parents=True, exist_ok=True)
            if mask is None:
                mask = np.zeros(hw, np.uint8)
                mask[hw[0] // 4:hw[0] // 2, hw[1] // 4:hw[1] // 2] = 255
            assert cv2.imwrite(str(root / 'masks' / f'{stem}.png'), mask)

    return write
