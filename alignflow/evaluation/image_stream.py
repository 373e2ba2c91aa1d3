"""Image files read batch by batch at one size, so memory is bounded by the batch, not the set.

Only one full-size image is decoded at a time; it is resized before the next is read, and a
batch holds ``batch_size`` images at the target size. Shrinking uses area interpolation
(anti-aliased, as clean-fid's resize); ``enlarge='cubic'`` enlarges with bicubic interpolation
(clean-fid's filter) where area interpolation would repeat pixels.
"""
from collections import Counter
from pathlib import Path
from typing import Iterator, Sequence, Tuple

import cv2
import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from alignflow.utils.image_files import truncated_jpeg

ENLARGE_FILTERS = dict(area=cv2.INTER_AREA, cubic=cv2.INTER_CUBIC)


def _unreadable(path: Path) -> OSError:
    return OSError(f'cannot read image {path}: the file is missing, corrupt or not an image; '
                   'remove it from the folder or replace it')


def _truncated(path: Path) -> OSError:
    return OSError(f'image {path} is a truncated JPEG (its end marker is missing: the file was '
                   'cut short, e.g. by an interrupted copy); replace it or remove it from the '
                   'folder')


def image_size(path: Path) -> Tuple[int, int]:
    """(H, W) of an image file, from its header only (nothing is decoded); a truncated JPEG
    (:func:`~alignflow.utils.image_files.truncated_jpeg`) is refused."""
    try:
        with Image.open(path) as image:
            width, height = image.size
        cut = truncated_jpeg(path)
    except (OSError, UnidentifiedImageError):
        raise _unreadable(path) from None
    if cut:
        raise _truncated(path)
    return height, width


def image_size_summary(paths: Sequence[Path]) -> Tuple[Tuple[int, int], int]:
    """The most common (H, W) of ``paths`` and how many images have another size."""
    sizes = Counter(image_size(path) for path in paths)
    (size, count), = sizes.most_common(1)
    return size, len(paths) - count


def read_image(path: Path, size: Tuple[int, int], enlarge: str = 'area') -> np.ndarray:
    """One image as (H, W, 3) uint8 RGB at ``size`` = (H, W); grayscale is repeated to 3
    channels. ``enlarge``: the filter when the image grows in both axes (see
    :data:`ENLARGE_FILTERS`); any shrinking axis means area interpolation."""
    if enlarge not in ENLARGE_FILTERS:
        raise ValueError(f'enlarge must be one of {sorted(ENLARGE_FILTERS)}, got {enlarge!r}')
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise _unreadable(path)
    if truncated_jpeg(path):  # decoded anyway, with libjpeg's warning only
        raise _truncated(path)
    height, width = size
    if image.shape[:2] != (height, width):
        grows = image.shape[0] <= height and image.shape[1] <= width
        interpolation = ENLARGE_FILTERS[enlarge] if grows else cv2.INTER_AREA
        image = cv2.resize(image, (width, height), interpolation=interpolation)
    return np.ascontiguousarray(image[..., ::-1])


def to_tensor(images: Sequence[np.ndarray]) -> torch.Tensor:
    """(H, W, 3) uint8 images -> (B, 3, H, W) float32 in [-1, 1]."""
    array = np.stack(images).astype(np.float32) / 127.5 - 1.0
    return torch.from_numpy(array).permute(0, 3, 1, 2).contiguous()


def iter_batches(paths: Sequence[Path], size: Tuple[int, int], batch_size: int,
                 enlarge: str = 'area') -> Iterator[torch.Tensor]:
    """(B, 3, H, W) RGB batches in [-1, 1] at ``size``, B <= ``batch_size``, one at a time."""
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    for start in range(0, len(paths), batch_size):
        yield to_tensor([read_image(Path(p), size, enlarge)
                         for p in paths[start:start + batch_size]])
