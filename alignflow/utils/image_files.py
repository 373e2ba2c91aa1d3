"""A truncated JPEG decodes without an error: libjpeg only warns ("Premature end of JPEG
file") and OpenCV returns the missing rows grey, so a copy cut short would be measured or
trained on as if whole. :func:`truncated_jpeg` looks for the end-of-image marker instead of
decoding the file twice: the entropy-coded data cannot hold the bytes FF D9 (an FF in it is
written FF 00), so a JPEG whose last 4 KiB lack them was cut. A JPEG with more than 4 KiB of
data appended after its end (rare; some cameras) is refused too: re-save it.
"""
from pathlib import Path
from typing import Union

JPEG_START = b'\xff\xd8\xff'
JPEG_END = b'\xff\xd9'
TAIL = 4096


def truncated_jpeg(path: Union[str, Path]) -> bool:
    """Whether ``path`` is a JPEG (by its first bytes, whatever its name) without its
    end-of-image marker in its last :data:`TAIL` bytes."""
    with open(path, 'rb') as f:
        if f.read(3) != JPEG_START:
            return False
        size = f.seek(0, 2)
        f.seek(max(3, size - TAIL))
        return JPEG_END not in f.read()
