"""Procedural toy polyp dataset, rendered once into a cache folder and read like real data."""
import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Dict, Optional, Union

import cv2

from alignflow.registry import DATASETS
from alignflow.utils.atomic_io import folder_written_atomically

from .polyp import PolypDataset
from .toy_scene import Size, ToyDomain, image_hw, render_toy_pair

# Part of the cache key: bump it when ``render_toy_pair`` changes so old caches are not reused.
TOY_RENDER_VERSION = 1
DomainSpec = Union[str, Dict, ToyDomain]


def toy_sample_seed(seed: int, index: int) -> int:
    """Scene seed of sample ``index``; datasets with different seeds do not share scenes."""
    return seed * 1_000_003 + index


def toy_cache_dir(num_samples: int, img_size: Size, domain: DomainSpec, seed: int) -> Path:
    """Default folder of a toy dataset: ``<cache>/toy/<name>_<size>px_n<n>_seed<seed>_<hash>``.

    ``<cache>`` is ``$ALIGNFLOW_CACHE``, else ``~/.cache/alignflow``; the hash covers every
    parameter, the domain's fields and :data:`TOY_RENDER_VERSION`.
    """
    h, w = image_hw(img_size)
    fields = dataclasses.asdict(ToyDomain.build(domain))
    key = json.dumps([TOY_RENDER_VERSION, fields, h, w, num_samples, seed], sort_keys=True)
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    name = domain if isinstance(domain, str) else 'custom'
    cache = os.environ.get('ALIGNFLOW_CACHE') or Path.home() / '.cache' / 'alignflow'
    folder = f'{name}_{h}x{w}px_n{num_samples}_seed{seed}_{digest}'
    return Path(cache).expanduser() / 'toy' / folder


def write_toy_dataset(out_dir: Union[str, Path],
                      num_samples: int,
                      img_size: Size = 64,
                      domain: DomainSpec = 'source',
                      seed: int = 0) -> Path:
    """Render ``out_dir/images/<i>.png`` and ``out_dir/masks/<i>.png`` unless it exists.

    The pairs are written to a temporary sibling folder that is then renamed into place, so a
    reader never sees a half-written dataset and concurrent writers (e.g. DDP ranks) are safe:
    the first rename wins and the others discard their copy. Returns ``out_dir``.
    """
    out = Path(out_dir).expanduser()
    if out.is_dir():
        return out
    with folder_written_atomically(out) as tmp:
        for sub in ('images', 'masks'):
            (tmp / sub).mkdir()
        for i in range(num_samples):
            img, mask = render_toy_pair(toy_sample_seed(seed, i), img_size, domain)
            for sub, array in (('images', img), ('masks', mask)):
                if not cv2.imwrite(str(tmp / sub / f'{i:05d}.png'), array):
                    raise OSError(f'Could not write {tmp / sub / f"{i:05d}.png"}.')
    return out


@DATASETS.register_module()
class ToyPolypDataset(PolypDataset):
    """Procedural colonoscopy-like polyp pairs (see :func:`render_toy_pair`), no download.

    Renders ``num_samples`` pairs into ``data_root`` on first use (default: a cache folder keyed
    by all parameters, see :func:`toy_cache_dir`), then reads them as a :class:`PolypDataset`.

    Args:
        num_samples: Number of pairs.
        img_size: Side ``s`` or ``(h, w)`` of the rendered images.
        domain: ``'source'``, ``'target'`` or a dict of :class:`ToyDomain` fields.
        seed: Dataset seed; sample ``i`` uses :func:`toy_sample_seed`.
        data_root: Folder to render into and read from; ``None`` for the default cache folder.
        **kwargs: Forwarded to :class:`PolypDataset` (``pipeline``, ``ann_file``, ...).
    """

    def __init__(self,
                 num_samples: int = 64,
                 img_size: Size = 64,
                 domain: DomainSpec = 'source',
                 seed: int = 0,
                 data_root: Optional[str] = None,
                 **kwargs) -> None:
        img_size = img_size if isinstance(img_size, int) else tuple(img_size)
        if data_root is None:
            data_root = toy_cache_dir(num_samples, img_size, domain, seed)
        write_toy_dataset(data_root, num_samples, img_size, domain, seed)
        super().__init__(data_root=str(Path(data_root).expanduser()), **kwargs)
