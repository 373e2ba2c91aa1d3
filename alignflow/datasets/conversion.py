"""Convert a public dataset's original download into the ``images/`` + ``masks/`` layout.

Every converter (``tools/dataset_converters/<name>.py``) describes where its images and masks
are and how a mask's name follows from its image's; :func:`convert_pairs` does the rest, the
same way for all: it pairs the files (listing the unpaired), copies JPEG/PNG images unchanged
and re-encodes the others (TIFF, GIF, PPM) losslessly as PNG, binarises masks at a stated
threshold (counting the masks that had grey values, e.g. JPEG masks or anti-aliased TIFF
edges), checks sizes, writes a reproducible split file, and records all of it in
``conversion.json``. The output is built in a temporary folder and renamed when complete, and
never inside the raw folder (which is only read).
"""
import json
import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .image_mask import IMG_EXTENSIONS

RAW_EXTENSIONS = IMG_EXTENSIONS + ('.gif', '.ppm', '.pgm')
COPIED_EXTENSIONS = ('.jpg', '.jpeg', '.png')


@dataclass
class ConversionReport:
    """What a conversion did (also written to ``conversion.json``)."""
    dataset: str
    raw_dir: str
    pairs: int
    threshold: int
    grey_masks: int
    swapped_folders: bool
    split: Dict[str, int]
    notes: List[str] = field(default_factory=list)


def image_files(folder: Path) -> List[Path]:
    """Image files of ``folder`` (the extensions raw datasets use), sorted by name."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in RAW_EXTENSIONS)


def find_folder(raw: Path, candidates: Sequence[str], what: str) -> Path:
    """The first of ``candidates`` (relative to ``raw``) that exists."""
    for name in candidates:
        if (raw / name).is_dir():
            return raw / name
    raise FileNotFoundError(f'no {what} folder in {raw}: looked for {", ".join(candidates)}; '
                            f'point the converter at the folder of the original download')


def read_any(path: Path, flags: int) -> Optional[np.ndarray]:
    """cv2.imread, with a PIL fallback for what OpenCV cannot decode (GIF)."""
    image = cv2.imread(str(path), flags)
    if image is None and path.suffix.lower() == '.gif':
        from PIL import Image
        with Image.open(path) as opened:
            array = np.asarray(opened.convert('L' if flags == cv2.IMREAD_GRAYSCALE else 'RGB'))
        image = array if array.ndim == 2 else array[..., ::-1].copy()
    return image


def looks_like_masks(files: Sequence[Path], sample: int = 5) -> bool:
    """Whether files look like masks: single-channel, or colour with equal channels and few
    distinct values."""
    for path in list(files)[:sample]:
        image = read_any(path, cv2.IMREAD_UNCHANGED)
        if image is None:
            return False
        if image.ndim == 3 and image.shape[2] >= 3:
            if not (np.array_equal(image[..., 0], image[..., 1]) and
                    np.array_equal(image[..., 1], image[..., 2])):
                return False
            image = image[..., 0]
        if len(np.unique(image)) > 16:
            return False
    return True


def convert_pairs(dataset: str, raw_dir: str, out_dir: str, image_dir: Path, mask_dir: Path,
                  mask_name: Callable[[str], Sequence[str]], threshold: int = 127,
                  val_fraction: float = 0.0, seed: int = 0,
                  overwrite: bool = False) -> ConversionReport:
    """Write ``out_dir/images``, ``out_dir/masks``, ``out_dir/splits/*.txt`` and
    ``conversion.json`` from the pairs of ``image_dir`` and ``mask_dir``.

    Args:
        dataset: the dataset's name (for messages and the record).
        raw_dir: the original download (only read).
        out_dir: the folder to create.
        image_dir, mask_dir: where the images and masks are; when the images look like masks
            and the masks like photographs (a copy with swapped folders), they are swapped and
            the report says so.
        mask_name: the candidate mask stems of an image stem, e.g. ``lambda s: [s, s + '_mask']``.
        threshold: masks are foreground where their grey value is above it.
        val_fraction: share of pairs in ``splits/val.txt`` (seeded); the rest in
            ``splits/train.txt``. ``splits/all.txt`` lists every stem.
        seed: seed of the split.
        overwrite: replace an existing ``out_dir``.
    """
    raw, out = Path(raw_dir).resolve(), Path(out_dir).resolve()
    if out == raw or raw in out.parents or out in raw.parents:
        raise ValueError(f'{dataset}: the output {out} overlaps the raw folder {raw}, which '
                         f'the converter only reads; write it elsewhere')
    if out.exists() and not overwrite:
        raise FileExistsError(f'{dataset}: {out} exists; choose a new folder or pass '
                              f'--overwrite to replace it')
    notes = []
    images, masks = image_files(image_dir), image_files(mask_dir)
    if not images or not masks:
        raise FileNotFoundError(f'{dataset}: {image_dir if not images else mask_dir} holds no '
                                f'image files ({", ".join(RAW_EXTENSIONS)})')
    swapped = looks_like_masks(images) and not looks_like_masks(masks)
    if swapped:
        images, masks = masks, images
        notes.append(f'{image_dir.name}/ holds the masks and {mask_dir.name}/ the images in '
                     f'this copy: swapped back')
    by_stem = {p.stem: p for p in masks}
    pairs: List[Tuple[Path, Path]] = []
    unpaired = []
    for image in images:
        match = next((by_stem[s] for s in mask_name(image.stem) if s in by_stem), None)
        if match is None:
            unpaired.append(image.name)
        else:
            pairs.append((image, match))
    if unpaired:
        raise FileNotFoundError(f'{dataset}: {len(unpaired)} image(s) have no mask in '
                                f'{mask_dir}: {", ".join(unpaired[:5])}')
    tmp = out.with_name(f'.{out.name}.partial')
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / 'images').mkdir(parents=True)
    (tmp / 'masks').mkdir()
    (tmp / 'splits').mkdir()
    grey, stems, problems = 0, [], []
    for image_path, mask_path in pairs:
        stem = image_path.stem
        image = read_any(image_path, cv2.IMREAD_COLOR)
        mask = read_any(mask_path, cv2.IMREAD_GRAYSCALE)
        if image is None or mask is None:
            problems.append(f'{image_path if image is None else mask_path} is unreadable')
            continue
        if image.shape[:2] != mask.shape:
            problems.append(f'{mask_path.name} is {mask.shape} but {image_path.name} is '
                            f'{image.shape[:2]}')
            continue
        grey += bool(((mask > 0) & (mask < 255)).any())
        if image_path.suffix.lower() in COPIED_EXTENSIONS:
            shutil.copyfile(image_path, tmp / 'images' / image_path.name)
        else:
            cv2.imwrite(str(tmp / 'images' / f'{stem}.png'), image)
        cv2.imwrite(str(tmp / 'masks' / f'{stem}.png'), (mask > threshold).astype(np.uint8) * 255)
        stems.append(stem)
    if problems:
        shutil.rmtree(tmp)
        raise ValueError(f'{dataset}: {len(problems)} pair(s) cannot be converted:\n  '
                         + '\n  '.join(problems))
    order = sorted(stems)
    val = sorted(random.Random(seed).sample(order, round(val_fraction * len(order))))
    splits = dict(all=order, train=[s for s in order if s not in set(val)], val=val)
    for name, listed in splits.items():
        if name == 'all' or val:
            (tmp / 'splits' / f'{name}.txt').write_text(''.join(f'{s}\n' for s in listed))
    report = ConversionReport(dataset, str(raw), len(stems), threshold, grey, swapped,
                              {k: len(v) for k, v in splits.items() if k == 'all' or val},
                              notes)
    (tmp / 'conversion.json').write_text(json.dumps(report.__dict__, indent=1) + '\n')
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return report


Locator = Callable[[Path], Tuple[Path, Path, Callable[[str], Sequence[str]]]]


def converter_main(dataset: str, locate: Locator, doc: str, argv=None) -> ConversionReport:
    """The command line every ``tools/dataset_converters/<name>.py`` shares:
    ``RAW_DIR -o OUT [--threshold 127] [--val-fraction F] [--seed S] [--overwrite]``."""
    import argparse
    parser = argparse.ArgumentParser(description=doc.split('\n')[0])
    parser.add_argument('raw_dir', help=f'the original {dataset} download (only read)')
    parser.add_argument('-o', '--out-dir', required=True)
    parser.add_argument('--threshold', type=int, default=127,
                        help='masks are foreground above this grey value')
    parser.add_argument('--val-fraction', type=float, default=0.0,
                        help='share of pairs in splits/val.txt (the rest in splits/train.txt)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--overwrite', action='store_true')
    args = parser.parse_args(argv)
    raw = Path(args.raw_dir)
    if not raw.is_dir():
        raise SystemExit(f'{dataset}: {raw} does not exist')
    try:
        image_dir, mask_dir, mask_name = locate(raw)
        report = convert_pairs(dataset, args.raw_dir, args.out_dir, image_dir, mask_dir,
                               mask_name, args.threshold, args.val_fraction, args.seed,
                               args.overwrite)
    except (FileNotFoundError, FileExistsError, ValueError) as err:
        raise SystemExit(str(err))
    print(f'{dataset}: {report.pairs} pairs written to {args.out_dir}; {report.grey_masks} '
          f'masks had grey values (binarised at > {report.threshold}); splits {report.split}')
    for note in report.notes:
        print(f'note: {note}')
    return report
