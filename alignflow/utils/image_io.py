"""Write image files whole or not at all: a temporary name, then a rename."""
import os
from pathlib import Path

import cv2
import numpy as np


def write_png_atomic(path: Path, image: np.ndarray) -> None:
    """Write ``image`` (H, W) or (H, W, 3) BGR uint8 to ``path`` through a temporary file, so a
    killed run (or a full disk) never leaves a truncated PNG behind.

    Raises:
        OSError: naming the path, when the file cannot be written.
    """
    path = Path(path)
    tmp = path.with_name(f'.{path.stem}.{os.getpid()}.tmp.png')
    try:
        ok = cv2.imwrite(str(tmp), image)
        if not ok:
            raise OSError(f'could not write {path}: check that {path.parent} exists, is '
                          f'writable and has space left')
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
