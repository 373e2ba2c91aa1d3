"""Write files whole or not at all: a temporary name beside the destination, then a rename.

One owner for every file AlignFlow writes (records, manifests, caches, PNG pairs, reports and,
through :mod:`alignflow.utils.atomic_backend`, checkpoints): a killed run or a full disk
leaves the previous file or none, never a part of one.
"""
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Union

import cv2
import numpy as np

PathLike = Union[str, Path]


def write_bytes_atomic(data: bytes, path: PathLike) -> None:
    """Write ``data`` to ``path`` (parents created) via ``.<name>.<pid>.tmp`` and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(text: str, path: PathLike, encoding: str = 'utf-8') -> None:
    """:func:`write_bytes_atomic` of ``text``."""
    write_bytes_atomic(text.encode(encoding), path)


@contextmanager
def folder_written_atomically(out: PathLike) -> Iterator[Path]:
    """Yield an empty temporary sibling of ``out`` to fill; renamed to ``out`` when the block
    ends without an error, removed when it raises. A concurrent writer that renamed its copy
    into place first wins and this one is dropped (so DDP ranks may all write)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f'.{out.name}.tmp-', dir=out.parent))
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp's folder is its owner's only; a plain mkdir's is not
        try:
            tmp.rename(out)
        except OSError:
            if not out.is_dir():  # not lost to a concurrent writer: a real error
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_png_atomic(path: PathLike, image: np.ndarray) -> None:
    """Write ``image`` (H, W) or (H, W, 3) BGR uint8 to ``path`` as PNG, atomically.

    Raises:
        OSError: naming the path, when the image cannot be encoded or written.
    """
    ok, encoded = cv2.imencode('.png', image)
    if not ok:
        raise OSError(f'could not encode {path} as PNG (an image of shape {image.shape}, '
                      f'{image.dtype})')
    try:
        write_bytes_atomic(encoded.tobytes(), path)
    except OSError as error:
        raise OSError(f'could not write {path}: check that {Path(path).parent} is writable and '
                      f'has space left ({error})') from error
