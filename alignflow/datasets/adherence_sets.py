"""The pair folders an adherence instrument is trained and scored on, from a source and a
target pair folder, with the target split the stage-2 configs use.

The target's held-out images are those of ``reference_split(num_heldout, heldout_seed)``, so
the references of any draw are never among them; the instrument learns both looks from
source pairs and the first held-out target pairs, and is scored on the pairs it never saw:

    python tools/analysis/adherence_sets.py /data/Kvasir-SEG /data/CVC-ClinicDB work_dirs/adh

writes under the output folder:

    both_train/        the first ``--source-train`` source pairs + the first
                       ``--target-train`` held-out target pairs (the instrument's training
                       set), named ``source_<name>`` and ``target_<name>`` (two datasets may
                       both number their images 1, 2, ...)
    target_test/       the other held-out target pairs
    source_test_x4/    the other source pairs in 4 orientations (identity, horizontal flip,
                       vertical flip, 180° rotation): the masks ``alignment_sweep --adherence``
                       paints
    target_test_x4/    target_test in the same 4 orientations (``--adherence-target``)

Pairs are read as ``images/<stem>.*`` + ``masks/<stem>.png``, in sorted order. Identity
copies keep the original bytes; the other orientations are written as PNG (lossless). Each
folder is written under a temporary name and renamed into place, and an existing one is kept,
so an interrupted run resumes; ``adherence_sets.json`` records the inputs and counts, and a
rerun with others into the same folder is refused. The input folders are only read.
"""
import json
import shutil
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

import cv2
import numpy as np

from alignflow.utils.atomic_io import folder_written_atomically, write_text_atomic
from .mask_io import check_mask_files
from .overlap import check_no_overlap
from .references import list_images, split_references

Pair = Tuple[Path, Path]
ORIENTATIONS = {
    'h': lambda a: cv2.flip(a, 1),
    'v': lambda a: cv2.flip(a, 0),
    'r180': lambda a: cv2.rotate(a, cv2.ROTATE_180),
}


def pairs_of(folder: Path) -> List[Pair]:
    """``(image, mask)`` for every image of ``folder/images``, sorted by name; an image
    without ``masks/<stem>.png`` is an error that names it, and so is every mask the datasets
    would refuse (:func:`~alignflow.datasets.mask_io.read_mask`), before anything is copied."""
    images = list_images(folder, 'pair folder', 'the command line')
    missing = [p.name for p in images if not (folder / 'masks' / f'{p.stem}.png').is_file()]
    if missing:
        raise FileNotFoundError(f'{len(missing)} images of {folder}/images have no mask '
                                f'masks/<stem>.png (e.g. {", ".join(missing[:3])}); '
                                'adherence needs pairs')
    pairs = [(p, folder / 'masks' / f'{p.stem}.png') for p in images]
    check_mask_files([mask for _, mask in pairs], f'masks of {folder}')
    return pairs


def write_orientations(image: Path, mask: Path, out: Path) -> None:
    """Write ``image`` and ``mask`` turned as ``out/{images,masks}/<stem>_{h,v,r180}.png``."""
    arrays = {'images': cv2.imread(str(image), cv2.IMREAD_UNCHANGED),
              'masks': cv2.imread(str(mask), cv2.IMREAD_UNCHANGED)}
    for sub, array in arrays.items():
        if array is None:
            raise OSError(f'cannot read {image if sub == "images" else mask}')
    for suffix, turn in ORIENTATIONS.items():
        for sub, array in arrays.items():
            path = out / sub / f'{image.stem}_{suffix}.png'
            if not cv2.imwrite(str(path), np.ascontiguousarray(turn(array))):
                raise OSError(f'could not write {path}')


def write_pairs(out: Path, pairs: Sequence[Pair], orientations: bool,
                prefixes: Sequence[str]) -> Path:
    """Copy ``pairs`` into ``out/images`` and ``out/masks`` as ``<prefix><name>`` (one prefix
    per pair; with ``orientations``, also ``<stem>_{h,v,r180}.png``), written under a temporary
    name and renamed; an existing ``out`` is kept as it is."""
    if out.is_dir():
        return out
    with folder_written_atomically(out) as tmp:
        for sub in ('images', 'masks'):
            (tmp / sub).mkdir()
        for (image, mask), prefix in zip(pairs, prefixes, strict=True):
            shutil.copyfile(image, tmp / 'images' / f'{prefix}{image.name}')
            shutil.copyfile(mask, tmp / 'masks' / f'{prefix}{mask.name}')
            if orientations:
                write_orientations(image, mask, tmp)
    return out


def check_manifest(out: Path, manifest: dict) -> None:
    """Record what ``out`` is written from, or refuse a folder written from other inputs."""
    path = out / 'adherence_sets.json'
    if path.is_file():
        written = json.loads(path.read_text())
        if written != manifest:
            changed = sorted(k for k in manifest if written.get(k) != manifest[k])
            raise ValueError(f'{out} holds sets written with other {", ".join(changed)} '
                             f'(see {path}); write these into another folder')
        return
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(json.dumps(manifest, indent=1) + '\n', path)


def plan_sets(source: Sequence[Pair], target: Sequence[Pair], num_heldout: int,
              heldout_seed: int, source_train: int, target_train: int
              ) -> Dict[str, Tuple[List[Pair], bool, List[str]]]:
    """The four sets as ``name: (pairs, in 4 orientations, name prefix of each pair)``: only
    both_train, which holds both datasets, prefixes ``source_``/``target_``. Errors name the
    count to lower."""
    if not 0 < source_train < len(source):
        raise ValueError(f'--source-train {source_train} must leave source pairs to paint: '
                         f'the source has {len(source)}')
    if not 0 < target_train < num_heldout:
        raise ValueError(f'--target-train {target_train} must be below --num-heldout '
                         f'{num_heldout}, so some held-out target pairs stay unseen')
    by_image = dict(target)
    split = split_references([p for p, _ in target], k=1, num_heldout=num_heldout,
                             heldout_seed=heldout_seed)
    held = [(p, by_image[p]) for p in split.heldout]
    rest_source, rest_held = list(source[source_train:]), held[target_train:]
    return {
        'both_train': (list(source[:source_train]) + held[:target_train], False,
                       ['source_'] * source_train + ['target_'] * target_train),
        'target_test': (rest_held, False, [''] * len(rest_held)),
        'source_test_x4': (rest_source, True, [''] * len(rest_source)),
        'target_test_x4': (rest_held, True, [''] * len(rest_held)),
    }


def write_adherence_sets(source: str, target: str, out: str, num_heldout: int = 100,
                         heldout_seed: int = 0, source_train: int = 150, target_train: int = 50,
                         log: Callable[[str], None] = print) -> Dict[str, Path]:
    """Write the four sets (see the module docstring) under ``out``; returns their folders.

    Args:
        num_heldout, heldout_seed: the target's held-out set, as ``reference_split``'s.
        source_train: source pairs the instrument trains on (the rest are painted).
        target_train: held-out target pairs the instrument trains on.
    """
    source, target, out = Path(source), Path(target), Path(out)
    for folder in (source, target):
        if out.resolve() == folder.resolve() or folder.resolve() in out.resolve().parents:
            raise ValueError(f'the output {out} lies inside the input {folder}; '
                             'write the sets somewhere else (inputs are only read)')
    source_pairs, target_pairs = pairs_of(source), pairs_of(target)
    check_no_overlap([image for image, _ in target_pairs], [image for image, _ in source_pairs],
                     f'target pairs of {target}', str(source),
                     'The instrument must be tested on target pairs it never trained on as '
                     'source pairs: remove them from one of the two folders.')
    sets = plan_sets(source_pairs, target_pairs, num_heldout, heldout_seed,
                     source_train, target_train)
    check_manifest(out, dict(source=str(source.resolve()), target=str(target.resolve()),
                             num_heldout=num_heldout, heldout_seed=heldout_seed,
                             source_train=source_train, target_train=target_train))
    written = {}
    for name, (pairs, turned, prefixes) in sets.items():
        written[name] = write_pairs(out / name, pairs, turned, prefixes)
        log(f'{written[name]}: {len(pairs) * (4 if turned else 1)} pairs')
    return written
