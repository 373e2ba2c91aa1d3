"""Check a whole image-mask dataset once, before training, and list every bad file at once.

Without it a bad file is found when a dataloader worker loads it, somewhere in the first epoch,
one file per run. :func:`check_pairs` reads each image's header (readable, 1/3/4 channels, its
size) and decodes each mask (the rules of :func:`~alignflow.datasets.mask_io.read_mask`:
binary or class indices, no colour, the image's size), on all cores, and caches the pairs
that passed, keyed by path, size and modification time of both files, so a dataset that
did not change is checked in a fraction of a second.
"""
import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from PIL import Image

from alignflow.utils.atomic_io import write_text_atomic

from .mask_io import MaskError, read_mask

Pair = Tuple[str, str]


def default_cache_dir() -> Path:
    """``$ALIGNFLOW_CACHE/pair_checks``, else ``~/.cache/alignflow/pair_checks``."""
    root = os.environ.get('ALIGNFLOW_CACHE') or Path.home() / '.cache' / 'alignflow'
    return Path(root).expanduser() / 'pair_checks'


def _state(path: str) -> str:
    stat = os.stat(path)
    return f'{stat.st_size}:{stat.st_mtime_ns}'


def pair_key(image: str, mask: str) -> str:
    """Identity of a pair's files as they are now: paths, sizes and modification times."""
    return f'{image}|{_state(image)}|{mask}|{_state(mask)}'


def pair_problems(image: str, mask: str, num_classes: Optional[int] = None) -> List[str]:
    """What is wrong with one pair (empty when nothing is); masks are binary, or class-index
    maps of ``num_classes`` classes when it is given."""
    try:
        with Image.open(image) as opened:
            width, height = opened.size
            bands = len(opened.getbands())
    except Exception as error:  # PIL raises UnidentifiedImageError, OSError, SyntaxError ...
        return [f'Image file {image} is unreadable (corrupt, truncated or not an image: '
                f'{error}); replace or remove it.']
    problems = []
    if bands not in (1, 3, 4):
        problems.append(f'Image file {image} has {bands} channels; expected 1, 3 or 4.')
    try:
        read_mask(mask, image_hw=(height, width), image_path=image, num_classes=num_classes)
    except (MaskError, FileNotFoundError) as error:
        problems.append(str(error))
    return problems


def check_pairs(pairs: Sequence[Pair], cache_dir: Optional[Path] = None,
                num_workers: Optional[int] = None, num_classes: Optional[int] = None) -> int:
    """Check every (image, mask) pair; raise one error listing every bad file.

    Args:
        pairs: (image path, mask path) of each pair.
        cache_dir: where passed pairs are remembered (see :func:`default_cache_dir`); None
            uses the default.
        num_workers: threads (the decoders release the GIL); default: all cores.
        num_classes: None for binary masks, else the classes of class-index masks.

    Returns:
        How many pairs were read (the rest were known good from the cache).

    Raises:
        ValueError: some pairs are bad; the message names each file and what is wrong.
    """
    if not pairs:
        return 0
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    roots = sorted({str(Path(image).parent.parent) for image, _ in pairs})
    rule = '' if num_classes is None else f'|classes={num_classes}'
    cache = cache_dir / (hashlib.sha1(('|'.join(roots) + rule).encode()).hexdigest()[:16]
                         + '.json')
    known: Dict[str, bool] = {}
    if cache.is_file():
        try:
            known = json.loads(cache.read_text())
        except ValueError:  # a damaged cache is rebuilt
            known = {}
    keys = [pair_key(image, mask) for image, mask in pairs]
    todo = [(pair, key) for pair, key in zip(pairs, keys) if key not in known]
    with ThreadPoolExecutor(num_workers or os.cpu_count() or 1) as pool:
        results = list(pool.map(lambda item: pair_problems(*item[0], num_classes), todo))
    problems = [line for found in results for line in found]
    passed = {key: True for (_, key), found in zip(todo, results) if not found}
    if passed:
        current = set(keys)
        record = {k: True for k in known if k in current} | passed
        write_text_atomic(json.dumps(record), cache)
    if problems:
        bad = sum(1 for found in results if found)
        raise ValueError(f'{bad} of {len(pairs)} image-mask pairs under {", ".join(roots)} '
                         f'are bad; fix or remove these files (nothing was trained):\n  '
                         + '\n  '.join(problems))
    return len(todo)
