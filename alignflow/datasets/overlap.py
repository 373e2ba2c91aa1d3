"""Target images that also sit in the source set, found by content rather than by name.

PraNet's polyp TrainDataset holds 900 Kvasir-SEG and 550 CVC-ClinicDB pairs, so aligning a
generator trained on it to either set, or judging it on their images, reads like few-shot
transfer while the target was in the training data. Copies are often renamed, so images are
compared by their decoded pixels (an identical copy or a lossless re-save under another name is
found; a resized or re-compressed copy is not).
"""
import hashlib
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
from PIL import Image

from alignflow.registry import DATASETS
from alignflow.utils.config_options import constructor_arguments

PathLike = Union[str, Path]


class OverlapError(ValueError):
    """Target images (references or held-out images) that are also source images."""


def _header_size(path: Path) -> Tuple[int, int]:
    """(width, height) read from the file's header, without decoding it (PIL opens lazily)."""
    try:
        with Image.open(path) as image:
            return image.size
    except Exception:  # unreadable here: the readers that need the file say so with the name
        return (-1, -1)


def pixel_digest(path: PathLike) -> str:
    """SHA-1 of an image's decoded pixels and shape ('' when it cannot be read); cached per
    file version, so the references and the held-out images of one split share the decodes
    of the source images they are compared with."""
    stat = Path(path).stat()
    return _digest(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8192)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        return ''
    return hashlib.sha1(repr(image.shape).encode() + image.tobytes()).hexdigest()


def find_overlap(images: Sequence[PathLike],
                 source: Sequence[PathLike]) -> List[Tuple[Path, Path]]:
    """(image, source image) pairs with identical pixels, in the order of ``images``.

    Only the source images whose header size equals some image's are decoded, so checking a
    few references against a large source set costs little.
    """
    images = [Path(p) for p in images]
    sizes = {p: _header_size(p) for p in images}
    wanted = {s for s in sizes.values() if s != (-1, -1)}
    by_digest: Dict[str, List[Path]] = defaultdict(list)
    for path in map(Path, source):
        if _header_size(path) in wanted:
            digest = pixel_digest(path)
            if digest:
                by_digest[digest].append(path)
    pairs = []
    for path in images:
        if sizes[path] in wanted:
            pairs.extend((path, match) for match in by_digest.get(pixel_digest(path), ()))
    return pairs


def check_no_overlap(images: Sequence[PathLike], source: Sequence[PathLike], what: str,
                     source_name: str, fix: str) -> None:
    """Raise :class:`OverlapError` naming up to five ``what`` images that are also images of the
    source set ``source_name``, and ``fix``: what to change."""
    pairs = find_overlap(images, source)
    if not pairs:
        return
    shown = '; '.join(f'{image} = {match}' for image, match in pairs[:5])
    more = f' (and {len(pairs) - 5} more)' if len(pairs) > 5 else ''
    raise OverlapError(f'{len(pairs)} {what} also sit in the source set {source_name} (identical '
                       f'pixels): {shown}{more}. {fix}')


def dataset_image_files(dataset: dict) -> Optional[List[str]]:
    """The image files of a dataset config (its split included), or None when it names no
    registered type or its ``data_root`` is not on this machine. Built without its pipeline
    and without its own pair check (the run that reads the pairs makes that one)."""
    dataset_cls = DATASETS.get(dataset.get('type')) if isinstance(dataset, dict) else None
    root = dataset.get('data_root') if dataset_cls is not None else None
    if dataset_cls is None or (isinstance(root, str) and not Path(root).is_dir()):
        return None
    dataset = dict(dataset, pipeline=[])
    if 'check_files' in constructor_arguments(dataset_cls):
        dataset['check_files'] = False
    built = DATASETS.build(dataset)
    return [built.get_data_info(i)['img_path'] for i in range(len(built))]
