"""One reader for every mask AlignFlow reads, with one set of rules.

The datasets, their pre-check, ``tools/synthesize.py --source-masks``, the mask report, the
adherence sets and the dataset converters all read masks through :func:`read_mask` (or
:func:`check_mask` on bytes they decoded themselves), so a mask means the same everywhere:

* a colour file whose channels are equal (up to JPEG noise) is read as grey; one whose
  channels differ (a red mask) is refused, unless the caller maps its colours to classes
  (``colors``);
* a grey mask is binary, {0, 1} or {0, 255} -> {0, 1}; or, where the dataset says so
  (``num_classes``), class indices; or, for an original download (the converters), grey edges
  around {0, 255} binarised at ``threshold``, or grey levels coding classes (``levels``);
* anything else is refused: a grey mask with other values (e.g. {0, 100}) and a photograph,
  with the file, the values found and the conversion that fixes it.
"""
import gzip
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

ColourMap = Dict[Tuple[int, int, int], int]
PathLike = Union[str, Path]

EDGE_TOLERANCE = 32  # how far a JPEG or resampled edge strays from 0 or 255 (or a level)
COLOUR_NOISE = 16  # channels that differ by no more on every pixel are grey (JPEG chroma)
MAX_GREY_SHARE = 0.05  # share of pixels off the levels that is still an edge, not content
MANY_VALUES = 16  # more distinct grey values than this, mostly off 0/255: a photograph


class MaskError(ValueError):
    """A mask the rules refuse; the message names the file, what was found and the fix."""


def decode_mask(path: PathLike) -> np.ndarray:
    """The file as stored: (H, W) or (H, W, C) with colour in BGR order; gzipped files
    (STARE's ``.ppm.gz``) and what OpenCV cannot decode (GIF) are read too.

    Raises:
        FileNotFoundError: the file does not exist.
        MaskError: it is not a readable image.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'Mask file {path} does not exist.')
    if path.name.lower().endswith('.gz'):
        with gzip.open(path, 'rb') as f:
            mask = cv2.imdecode(np.frombuffer(f.read(), np.uint8), cv2.IMREAD_UNCHANGED)
    else:
        mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if mask is None:
        from PIL import Image
        try:
            with Image.open(path) as opened:
                mask = np.asarray(opened.convert('L' if opened.mode in ('1', 'L', 'P')
                                                 else 'RGB'))
        except Exception as error:  # PIL raises UnidentifiedImageError, OSError ...
            raise MaskError(f'Mask file {path} is unreadable (corrupt or not an image).') \
                from error
        mask = mask if mask.ndim == 2 else np.ascontiguousarray(mask[..., ::-1])
    return mask


def _fix(path, expression: str, flags: str = 'cv2.IMREAD_GRAYSCALE') -> str:
    """A one-line command writing a corrected copy of ``path`` (the original is kept)."""
    return (f'python -c "import cv2, numpy as np; m = cv2.imread(\'{path}\', {flags}); '
            f'cv2.imwrite(\'OUT.png\', ({expression}).astype(np.uint8) * 255)"')


def _colour_refusal(bgr: np.ndarray, path) -> str:
    colours, counts = np.unique(bgr.reshape(-1, 3), axis=0, return_counts=True)
    top = [tuple(int(c) for c in colour[::-1]) for colour in colours[np.argsort(-counts)][:5]]
    return (f'Mask file {path} is a colour image whose channels differ ({len(colours)} '
            f'colours, most common (R, G, B): {top}); a colour mask is read only with a map '
            f'of its colours to classes (--mask-colors "R,G,B=CLASS ..."), or convert it to '
            f'a binary mask, e.g. where any colour is foreground: '
            + _fix(path, 'm.max(axis=2) > 127', 'cv2.IMREAD_COLOR'))


def grey_of(mask: np.ndarray, path) -> np.ndarray:
    """(H, W) of a decoded mask: grey files as they are, colour files whose channels are
    equal (up to JPEG noise) as grey; refuses a colour mask (:class:`MaskError`)."""
    if mask.ndim == 3 and mask.shape[2] == 1:
        return mask[..., 0]
    if mask.ndim == 3 and mask.shape[2] in (3, 4):
        bgr = mask[..., :3]
        spread = bgr.max(axis=2).astype(np.int16) - bgr.min(axis=2)
        if spread.max() > COLOUR_NOISE:
            raise MaskError(_colour_refusal(bgr, path))
        return cv2.cvtColor(np.ascontiguousarray(bgr), cv2.COLOR_BGR2GRAY)
    if mask.ndim != 2:
        raise MaskError(f'Mask file {path} has shape {mask.shape}; a mask is (H, W), or a '
                        f'colour image with equal channels.')
    return mask


def _shown(values: Sequence[int]) -> str:
    return f'{list(values[:10])}{" ..." if len(values) > 10 else ""}'


def _grey_share(grey: np.ndarray) -> float:
    """Share of pixels neither near 0 nor near 255."""
    return float(((grey > EDGE_TOLERANCE) & (grey < 255 - EDGE_TOLERANCE)).mean())


def _photo(grey: np.ndarray, values: Sequence[int], path) -> Optional[str]:
    share = _grey_share(grey)
    if len(values) > MANY_VALUES and share > 0.25:
        return (f'Mask file {path} looks like a photograph, not a mask: {len(values)} grey '
                f'values, {share:.0%} of its pixels neither near 0 nor near 255. Check that '
                f'the mask folder, not the image folder, was given.')
    return None


def _advice(grey: np.ndarray, values: Sequence[int], path) -> str:
    """Why a grey mask with ``values`` is not binary, and the conversion that fixes it."""
    photo = _photo(grey, values, path)
    if photo:
        return photo
    found = f'Mask file {path} is not binary: found {len(values)} values {_shown(values)}; ' \
            f'expected {{0, 255}} or {{0, 1}}.'
    if len(values) == 2:
        return (f'{found} If {values[1]} marks the foreground, write a binary copy: '
                + _fix(path, f'm == {values[1]}'))
    if values[-1] >= 255 - EDGE_TOLERANCE and _grey_share(grey) <= MAX_GREY_SHARE:
        return (f'{found} It is binary with grey edges (a JPEG or resampled mask); threshold '
                f'a copy: ' + _fix(path, 'm > 127'))
    return (f'{found} If its levels code classes, use a dataset with num_classes or the '
            f'dataset\'s converter (tools/dataset_converters/, class indices 0..N-1 as '
            f'np.searchsorted({list(values)}, m)); if every non-zero level is foreground: '
            + _fix(path, 'm > 0'))


def _binarise(grey: np.ndarray, values: Sequence[int], path, threshold: int) -> np.ndarray:
    """An original download's mask: {0, 255} with grey edges, foreground above
    ``threshold``; refused when thresholding would drop content (a {0, 100} mask), or for a
    photograph."""
    photo = _photo(grey, values, path)
    if photo:
        raise MaskError(photo)
    lost = (grey > EDGE_TOLERANCE) & (grey <= threshold)
    if lost.any() and (lost.mean() > MAX_GREY_SHARE or not (grey > threshold).any()):
        level = int(np.median(grey[lost]))
        raise MaskError(
            f'Mask file {path} has values {_shown(values)}: {lost.mean():.1%} of its pixels '
            f'(around {level}) are at or below the threshold {threshold}, which would make '
            f'them background{" and the mask empty" if not (grey > threshold).any() else ""}. '
            f'If they are foreground, pass --threshold {level // 2}; if they code classes, '
            f'convert with class levels.')
    return (grey > threshold).astype(np.uint8)


def _nearest_level(grey: np.ndarray, path, levels: Dict[int, int]) -> np.ndarray:
    """Grey levels coding classes (REFUGE: 255, 128, 0): each pixel takes the class of the
    nearest level; refused when many pixels are far from every level."""
    grey_levels = np.array(sorted(levels), dtype=np.int16)
    distance = np.abs(grey.astype(np.int16)[..., None] - grey_levels)
    far = distance.min(-1) > EDGE_TOLERANCE
    if far.mean() > MAX_GREY_SHARE:
        values = np.unique(grey).tolist()
        raise MaskError(f'Mask file {path} has values {_shown(values)}; {far.mean():.0%} of its '
                        f'pixels are far from the class levels {sorted(levels)}. Check that it '
                        f'is a mask of this dataset.')
    return np.array([levels[int(g)] for g in grey_levels], np.uint8)[distance.argmin(-1)]


def _map_colours(mask: np.ndarray, path, colors: ColourMap) -> np.ndarray:
    bgr = mask if mask.ndim == 3 else np.repeat(mask[..., None], 3, axis=2)
    rgb = bgr[..., 2::-1].astype(np.int32)
    codes = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    table = {(r << 16) | (g << 8) | b: c for (r, g, b), c in colors.items()}
    found = np.unique(codes)
    unknown = [((int(c) >> 16) & 255, (int(c) >> 8) & 255, int(c) & 255)
               for c in found if int(c) not in table]
    if unknown:
        raise MaskError(f'Mask file {path} holds {len(unknown)} colours (R, G, B) the colour '
                        f'map does not name: {unknown[:5]}{" ..." if len(unknown) > 5 else ""}; '
                        f'the map has {sorted(colors)}. Add them to it (exact colours: a JPEG '
                        f'colour mask needs converting first).')
    keys = np.array(sorted(table))
    return np.array([table[int(k)] for k in keys], np.uint8)[np.searchsorted(keys, codes)]


def parse_colour_map(items: Sequence[str]) -> ColourMap:
    """``['R,G,B=CLASS', ...]`` (a ``--mask-colors`` option) as ``{(R, G, B): CLASS}``."""
    colors = {}
    for item in items:
        try:
            colour, label = item.split('=')
            rgb = tuple(int(c) for c in colour.split(','))
            if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
                raise ValueError
            colors[rgb] = int(label)
        except ValueError:
            raise ValueError(f'--mask-colors {item!r}: expected R,G,B=CLASS with R, G, B in '
                             f'0..255, e.g. 0,0,0=0 255,0,0=1') from None
    return colors


def check_mask(mask: np.ndarray, path, image_hw: Optional[Sequence[int]] = None,
               image_path=None, num_classes: Optional[int] = None,
               colors: Optional[ColourMap] = None, threshold: Optional[int] = None,
               levels: Optional[Dict[int, int]] = None) -> np.ndarray:
    """The label of a decoded mask under the rules of this module.

    Args:
        mask: the decoded file, (H, W) or (H, W, C) BGR.
        path: the file, for messages.
        image_hw: (H, W) of its image, which the mask must match.
        image_path: the image, for messages.
        num_classes: the mask holds class indices 0 .. num_classes - 1 (multi-class
            datasets such as REFUGE).
        colors: ``{(R, G, B): class}``: every colour of the mask must be one of them.
        threshold: an original download's binary mask, grey edges allowed, foreground
            above it (converters).
        levels: ``{grey level: class}``: an original download's class-coded mask, each
            pixel the class of the nearest level (converters).

    Returns:
        (H, W) uint8: {0, 1} for binary masks, else class indices.

    Raises:
        MaskError: naming the file, the values found and the conversion that fixes it.
    """
    if colors is not None:
        label = _map_colours(mask, path, colors)
    else:
        grey = grey_of(mask, path)
        values = np.unique(grey).tolist()
        if levels is not None:
            label = _nearest_level(grey, path, levels)
        elif num_classes is not None:
            if values[-1] >= num_classes:
                raise MaskError(
                    f'Mask file {path} has values {_shown(values)}; expected class indices '
                    f'0..{num_classes - 1}. Convert the raw masks with the dataset\'s '
                    f'converter (tools/dataset_converters/).')
            label = grey.astype(np.uint8)
        elif set(values) <= {0, 1} or set(values) <= {0, 255}:
            label = (grey > 0).astype(np.uint8)
        elif threshold is not None:
            label = _binarise(grey, values, path, threshold)
        else:
            raise MaskError(_advice(grey, values, path))
    if image_hw is not None and label.shape != tuple(image_hw):
        raise MaskError(f'Mask file {path} is {label.shape[0]}x{label.shape[1]} (HxW) but its '
                        f'image {image_path} is {image_hw[0]}x{image_hw[1]}; they must match.')
    return label


def read_mask(path: PathLike, **rules) -> np.ndarray:
    """:func:`decode_mask` then :func:`check_mask` (``rules``: its keyword arguments)."""
    return check_mask(decode_mask(path), path, **rules)


def check_mask_files(paths: Sequence[PathLike], what: str = 'masks',
                     num_workers: Optional[int] = None, **rules) -> None:
    """Read every mask once (on all cores) and raise one error listing every bad file.

    Raises:
        MaskError: ``what`` and each bad file with what is wrong with it.
    """
    def problem(path) -> Optional[str]:
        try:
            read_mask(path, **rules)
        except (MaskError, FileNotFoundError) as error:
            return str(error)
        return None

    with ThreadPoolExecutor(num_workers or os.cpu_count() or 1) as pool:
        problems: List[str] = [p for p in pool.map(problem, paths) if p]
    if problems:
        raise MaskError(f'{len(problems)} of {len(paths)} {what} are refused; fix or remove '
                        f'them (nothing was written):\n  ' + '\n  '.join(problems))
