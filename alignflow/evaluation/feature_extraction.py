"""Streaming feature extraction of image folders, with a cache keyed by folder content."""
import hashlib
import os
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from alignflow.utils.progress import progress_bar
from .image_stream import iter_batches


@torch.no_grad()
def extract_features(extractor: torch.nn.Module, paths: Sequence[Path], size: Tuple[int, int],
                     batch_size: int = 32, device: str = 'cpu', progress: bool = True,
                     enlarge: str = 'area') -> np.ndarray:
    """Features (N, D) float64 of the images at ``paths``, resized to ``size`` = (H, W).

    Batches stream from disk (:func:`~.image_stream.iter_batches`: memory bounded by
    ``batch_size``, not by N); on CUDA they run under fp16 autocast. ``enlarge``: the filter
    for images smaller than ``size`` (``'area'`` or ``'cubic'``). ``progress``: a bar in a
    terminal, a line per batch in a log.
    """
    extractor = extractor.to(device)
    bar = progress_bar(len(paths)) if progress else None
    chunks: List[np.ndarray] = []
    for batch in iter_batches(list(paths), size, batch_size, enlarge):
        with torch.autocast('cuda', enabled=str(device).startswith('cuda')):
            chunks.append(extractor(batch.to(device)).double().cpu().numpy())
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        bar.close()
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

    def key(self, paths: Sequence[Path], extractor_id: str, size: Tuple[int, int],
            enlarge: str = 'area') -> str:
        text = f'{folder_fingerprint(paths)}|{extractor_id}|{size[0]}x{size[1]}'
        if enlarge != 'area':  # keys of area-resized features stay those written before
            text += f'|enlarge={enlarge}'
        return hashlib.sha1(text.encode()).hexdigest()

    def get_or_compute(self, paths: Sequence[Path], extractor: torch.nn.Module,
                       extractor_id: str, size: Tuple[int, int], enlarge: str = 'area',
                       **kwargs) -> np.ndarray:
        """Cached features, computed with :func:`extract_features` (``enlarge`` and
        ``kwargs`` passed on) on a miss.

        Returns (N, D) float64 features in the order of ``paths``.
        """
        file = self.root / f'{self.key(paths, extractor_id, size, enlarge)}.npy'
        if file.is_file():
            return np.load(file)
        features = extract_features(extractor, paths, size, enlarge=enlarge, **kwargs)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f'.{file.stem}.{os.getpid()}.tmp.npy')
        np.save(tmp, features)
        os.replace(tmp, file)
        return features
