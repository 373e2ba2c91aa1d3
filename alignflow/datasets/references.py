"""Few-shot reference images of a target domain: reproducible selection and loading.

Stage 2 aligns the generator to ``k`` reference images of the target domain. They are images
only (target masks are never needed), drawn with a seed from the target's images or named in a
list file; every other image of the folder is held out for evaluation, so the references
never overlap the images a result is judged on.

A config names its split once, as the top-level ``reference_split = dict(folder, k, seed,
num_heldout, ...)`` (the arguments of :func:`build_reference_split`);
:func:`alignflow.apis.prepare_reference_split` builds it once per run and hands the
references to the model's reward bank and the held-out images to the metrics.
"""
import json
import random
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch

from alignflow.utils.atomic_io import write_text_atomic

from .image_mask import IMG_EXTENSIONS

PathLike = Union[str, Path]


@dataclass(frozen=True)
class ReferenceSplit:
    """``references``: the k chosen images; ``heldout``: the rest of the folder, disjoint."""
    references: Tuple[Path, ...]
    heldout: Tuple[Path, ...]

    def to_dict(self) -> dict:
        """``dict(references=[str, ...], heldout=[str, ...])``: plain data for a config."""
        return dict(references=[str(p) for p in self.references],
                    heldout=[str(p) for p in self.heldout])

    @classmethod
    def from_dict(cls, data: dict) -> 'ReferenceSplit':
        """The inverse of :meth:`to_dict`."""
        return cls(tuple(Path(p) for p in data['references']),
                   tuple(Path(p) for p in data['heldout']))


def resolve_image_folder(source: Union[PathLike, dict]) -> Path:
    """A folder path, or a dataset config whose ``data_root`` is the folder (a procedural toy
    dataset renders itself into its cache folder when built)."""
    if isinstance(source, dict):
        from alignflow.registry import DATASETS
        return Path(DATASETS.build(dict(source, pipeline=[])).data_root)
    return Path(source)


def list_images(folder: PathLike, what: str = 'reference folder',
                source: str = 'the config') -> List[Path]:
    """Image files of ``folder`` (or of ``folder/images`` when that exists), sorted.

    ``what`` and ``source`` say in errors what the folder is and where it was given."""
    folder = Path(folder)
    if (folder / 'images').is_dir():
        folder = folder / 'images'
    if not folder.is_dir():
        raise FileNotFoundError(f'{what} {folder} does not exist; point {source} at a folder '
                                'of images (or one with an images/ subfolder)')
    entries = sorted(folder.iterdir())
    images = [p for p in entries if p.is_file() and p.suffix.lower() in IMG_EXTENSIONS]
    if not images:
        raise FileNotFoundError(f'{what} {folder} holds no images '
                                f'({", ".join(IMG_EXTENSIONS)})')
    unread = [p.name + ('/' if p.is_dir() else '') for p in entries
              if p not in images and not p.name.startswith('.')]
    if unread:
        warnings.warn(f'{what} {folder}: {len(unread)} entries are not read (not images, or '
                      f'folders): {", ".join(unread[:5])}{" ..." if len(unread) > 5 else ""}')
    return images


def check_reference_images(paths: Sequence[PathLike]) -> None:
    """Each reference is a readable colour image, not a mask: a file that cannot be read, or
    that holds two grey values at most (a segmentation mask put among the images), raises an
    error naming it. References of several sizes are allowed (each is resized to the
    generator's size) and said once."""
    sizes = set()
    for path in paths:
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise OSError(f'cannot read reference image {path}: the file is missing, corrupt '
                          f'or not an image; remove it from the reference folder')
        grey = image.ndim == 2 or all(np.array_equal(image[..., 0], image[..., c])
                                      for c in range(1, min(image.shape[2], 3)))
        if grey and len(np.unique(image[..., 0] if image.ndim == 3 else image)) <= 2:
            raise ValueError(f'reference image {path} looks like a segmentation mask (two grey '
                             f'values at most): the reference folder takes target images '
                             f'only (masks are never needed); move the masks out of it')
        sizes.add(image.shape[:2])
    if len(sizes) > 1:
        shown = ', '.join(f'{h}x{w}' for h, w in sorted(sizes)[:5])
        warnings.warn(f'the references come in {len(sizes)} sizes ({shown}); each is resized '
                      f'to the generator\'s size, so frames of another aspect ratio are '
                      f'stretched')


def split_references(images: Sequence[PathLike], k: Union[int, str] = 'all', seed: int = 0,
                     list_file: Optional[PathLike] = None, num_heldout: Optional[int] = None,
                     heldout_seed: int = 0) -> ReferenceSplit:
    """Choose ``k`` references and hold out the rest.

    With ``num_heldout``, a fixed evaluation set of that many images is drawn first (with
    ``heldout_seed``, independent of ``k`` and ``seed``) and the references come from the
    remaining images, so runs with different shot counts and reference draws are judged on
    the same held-out images. Without it, every image that is not a reference is held out.

    Args:
        images: candidate image files (e.g. from :func:`list_images`).
        k: number of references, or ``'all'`` (every candidate that is not held out).
        seed: seed of the draw; the same seed and folder give the same references.
        list_file: a text file naming the references (file names or stems, one per line);
            overrides ``k``/``seed``.
        num_heldout: size of a fixed held-out set, or None.
        heldout_seed: seed of the held-out draw.
    """
    images = [Path(p) for p in images]
    fixed_heldout = None
    if num_heldout is not None:
        if not 0 < num_heldout < len(images):
            raise ValueError(f'num_heldout={num_heldout} must be between 1 and '
                             f'{len(images) - 1} for {len(images)} images (at least one held '
                             f'out, at least one left for references); num_heldout=None '
                             f'holds out every image that is not a reference')
        fixed_heldout = sorted(random.Random(heldout_seed).sample(images, num_heldout))
        held = set(fixed_heldout)
        images = [p for p in images if p not in held]
    if list_file is not None:
        by_name = {p.name: p for p in images} | {p.stem: p for p in images}
        names = [line.strip() for line in Path(list_file).read_text().splitlines()
                 if line.strip() and not line.startswith('#')]
        missing = [n for n in names if n not in by_name]
        if missing:
            raise FileNotFoundError(f'{list_file} names images that are not among the '
                                    f'{len(images)} candidates: {", ".join(missing[:5])}')
        chosen = list(dict.fromkeys(by_name[n] for n in names))
    elif k == 'all':
        chosen = list(images)
    else:
        if not isinstance(k, int) or k < 1:
            raise ValueError(f'the number of references k must be a positive int or "all", '
                             f'got {k!r}')
        if k > len(images):
            folder = images[0].parent if images else '?'
            if fixed_heldout is None:
                raise ValueError(f'k={k} references requested but {folder} holds only '
                                 f'{len(images)} images; lower k or use k="all"')
            raise ValueError(f'k={k} references requested but only {len(images)} of the '
                             f'{len(images) + len(fixed_heldout)} images of {folder} are '
                             f'candidates ({len(fixed_heldout)} are held out for evaluation '
                             f'by num_heldout); lower k or num_heldout, or use k="all"')
        chosen = random.Random(seed).sample(images, k)
    if not chosen:
        raise ValueError('zero references selected; alignment needs at least one image')
    chosen_set = set(chosen)
    if fixed_heldout is not None:
        return ReferenceSplit(tuple(chosen), tuple(fixed_heldout))
    return ReferenceSplit(tuple(chosen), tuple(p for p in images if p not in chosen_set))


def build_reference_split(folder: Union[PathLike, dict], k: Union[int, str] = 'all',
                          seed: int = 0, list_file: Optional[PathLike] = None,
                          num_heldout: Optional[int] = None,
                          heldout_seed: int = 0) -> ReferenceSplit:
    """The split a config's ``reference_split`` names: the images of ``folder`` (a folder,
    one with an ``images/`` subfolder, or a dataset config whose ``data_root`` is the folder),
    split by :func:`split_references` with the other arguments; the references are checked by
    :func:`check_reference_images`.

    Example:
        >>> import tempfile, cv2, numpy as np
        >>> folder = tempfile.mkdtemp()
        >>> for i in range(6):  # colour images: a two-valued one would read as a mask
        ...     image = np.random.default_rng(i).integers(0, 255, (4, 4, 3), np.uint8)
        ...     _ = cv2.imwrite(f'{folder}/{i}.png', image)
        >>> split = build_reference_split(folder, k=2, seed=0, num_heldout=3)
        >>> len(split.references), len(split.heldout)
        (2, 3)
    """
    split = split_references(list_images(resolve_image_folder(folder)), k=k, seed=seed,
                             list_file=list_file, num_heldout=num_heldout,
                             heldout_seed=heldout_seed)
    check_reference_images(split.references)
    if len(split.references) == 1:
        warnings.warn('one reference image: the alignment sees a single frame of the target, so '
                      'its look depends on that frame alone; 5 or more describe a hospital '
                      'better')
    return split


def load_images(paths: Sequence[PathLike], size: Tuple[int, int],
                what: str = 'reference images') -> torch.Tensor:
    """Read images as one RGB batch in [-1, 1], resized to ``size`` = (H, W).

    Images of another size are resized (area interpolation, one warning naming how many
    ``what`` were); grayscale images are repeated to 3 channels; an unreadable file raises an
    error naming it.

    Returns:
        (N, 3, H, W) float32 tensor.
    """
    height, width = size
    batch, resized = [], 0
    for path in paths:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise OSError(f'cannot read image {path}: the file is missing, corrupt or not an '
                          'image')
        if image.shape[:2] != (height, width):
            resized += 1
            image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        batch.append(np.ascontiguousarray(image[..., ::-1]))
    if resized:
        warnings.warn(f'{resized} of {len(batch)} {what} were resized to '
                      f'{height}x{width} to match the generator')
    array = np.stack(batch).astype(np.float32) / 127.5 - 1.0
    return torch.from_numpy(array).permute(0, 3, 1, 2).contiguous()


def save_reference_split(split: ReferenceSplit, path: PathLike,
                         spec: Optional[dict] = None) -> None:
    """Record a split as JSON (``spec``: the config's ``reference_split``; ``references`` and
    ``heldout``: the image paths), written under a temporary name and renamed."""
    record = dict(spec=spec, **split.to_dict())
    write_text_atomic(json.dumps(record, indent=1, default=str) + '\n', path)


def read_reference_split(path: PathLike) -> ReferenceSplit:
    """The split recorded by :func:`save_reference_split`."""
    return ReferenceSplit.from_dict(json.loads(Path(path).read_text()))
