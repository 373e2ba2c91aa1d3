"""Streaming feature extraction of image folders, with a cache keyed by folder content."""
import hashlib
import os
from collections import Counter
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.utils import ProgressBar

from alignflow.datasets.references import load_images


def image_size_summary(paths: Sequence[Path]) -> Tuple[Tuple[int, int], int]:
    """The most common (H, W) of ``paths`` and how many images have another size.

    An unreadable file raises an error naming it.
    """
    sizes = Counter()
    for path in paths:
        full = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if full is None:
            raise OSError(f'cannot read image {path}: the file is missing, corrupt or not an '
                          'image')
        sizes[full.shape[:2]] += 1
    (size, count), = sizes.most_common(1)
    return size, len(paths) - count


def iter_batches(paths: Sequence[Path], size: Tuple[int, int],
                 batch_size: int) -> Iterator[torch.Tensor]:
    """(B, 3, H, W) RGB batches in [-1, 1], one at a time (memory flat in len(paths))."""
    for start in range(0, len(paths), batch_size):
        yield load_images(paths[start:start + batch_size], size, what='real images')


@torch.no_grad()
def extract_features(extractor: torch.nn.Module, paths: Sequence[Path], size: Tuple[int, int],
                     batch_size: int = 32, device: str = 'cpu',
                     progress: bool = True) -> np.ndarray:
    """Features (N, D) float64 of the images at ``paths``, resized to ``size`` = (H, W).

    Batches stream from disk; on CUDA they run under fp16 autocast.
    """
    extractor = extractor.to(device)
    bar = ProgressBar(len(paths)) if progress else None
    chunks: List[np.ndarray] = []
    for batch in iter_batches(list(paths), size, batch_size):
        with torch.autocast('cuda', enabled=str(device).startswith('cuda')):
            chunks.append(extractor(batch.to(device)).double().cpu().numpy())
        if bar is not None:
            for _ in range(len(batch)):
                bar.update()
    return np.concatenate(chunks)


def folder_fingerprint(paths: Sequence[Path]) -> str:
    """SHA-1 over each file's name, size and modification time: changes when a file is added,
    removed, replaced or rewritten."""
    digest = hashlib.sha1()
    for path in sorted(paths):
        stat = os.stat(path)
        digest.update(f'{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}\n'.encode())
    return digest.hexdigest()


class FeatureCache:
    """Features of image sets on disk, keyed by folder content + extractor identity + size.

    Args:
        root: cache folder (default ``$ALIGNFLOW_CACHE/features`` or
            ``~/.cache/alignflow/features``).
    """

    def __init__(self, root: Optional[str] = None):
        default = Path(os.environ.get('ALIGNFLOW_CACHE') or Path.home() / '.cache' / 'alignflow')
        self.root = Path(root) if root else default.expanduser() / 'features'

    def key(self, paths: Sequence[Path], extractor_id: str, size: Tuple[int, int]) -> str:
        text = f'{folder_fingerprint(paths)}|{extractor_id}|{size[0]}x{size[1]}'
        return hashlib.sha1(text.encode()).hexdigest()

    def get_or_compute(self, paths: Sequence[Path], extractor: torch.nn.Module,
                       extractor_id: str, size: Tuple[int, int], **kwargs) -> np.ndarray:
        """Cached features, computed with :func:`extract_features` on a miss.

        Returns (N, D) float64 features in the order of ``paths``.
        """
        file = self.root / f'{self.key(paths, extractor_id, size)}.npy'
        if file.is_file():
            return np.load(file)
        features = extract_features(extractor, paths, size, **kwargs)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f'.{file.stem}.{os.getpid()}.tmp.npy')
        np.save(tmp, features)
        os.replace(tmp, file)
        return features
