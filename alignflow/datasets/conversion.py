"""Convert a public dataset's original download into the ``images/`` + ``masks/`` layout.

Every converter (``tools/dataset_converters/<name>.py``) describes where its images and masks
are (:class:`PairSource`: the files, how a mask's name follows from its image's, the official
split if the dataset has one, field-of-view masks); :func:`convert_pairs` does the rest, the
same way for all: it pairs the files (listing the unpaired), copies JPEG/PNG images unchanged
and re-encodes the others (TIFF, GIF, gzipped PPM) losslessly as PNG, reads masks with the
rules of :mod:`alignflow.datasets.mask_io` for an original download and encodes them
(:class:`BinaryMasks` at a stated threshold or through a colour map, or :class:`LabelMasks` for
grey-level class codes) counting the masks that had grey values (JPEG masks, anti-aliased TIFF
edges); colour masks, masks that thresholding would empty ({0, 100}) and photographs are
refused, naming each file. It checks sizes,
writes the official or a reproducible seeded split, and records all of it in
``conversion.json``. :func:`convert_parts` does it for a dataset made of several (the PraNet
split). The output is built in a temporary folder and renamed when complete, and never inside
the raw folder (which is only read).
"""
import gzip
import json
import os
import random
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from alignflow.utils.cli import user_message

from .image_mask import IMG_EXTENSIONS
from .mask_io import ColourMap, MaskError, check_mask, decode_mask, grey_of, parse_colour_map

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


def file_stem(path: Path) -> str:
    """The name without its image extension, also for gzipped files (``im0001.ppm.gz`` ->
    ``im0001``, ``im0001.ah.ppm.gz`` -> ``im0001.ah``)."""
    name = path.name[:-3] if path.name.lower().endswith('.gz') else path.name
    return Path(name).stem


def is_image_file(path: Path) -> bool:
    """Whether ``path`` has an extension raw datasets use (gzipped or not)."""
    name = path.name.lower()
    name = name[:-3] if name.endswith('.gz') else name
    return path.is_file() and Path(name).suffix in RAW_EXTENSIONS


def image_files(folder: Path) -> List[Path]:
    """Image files of ``folder`` (the extensions raw datasets use), sorted by name."""
    return sorted(p for p in folder.iterdir() if is_image_file(p))


def find_folder(raw: Path, candidates: Sequence[str], what: str) -> Path:
    """The first of ``candidates`` (relative to ``raw``) that exists."""
    for name in candidates:
        if (raw / name).is_dir():
            return raw / name
    raise FileNotFoundError(f'no {what} folder in {raw}: looked for {", ".join(candidates)}; '
                            f'point the converter at the folder of the original download')


def read_any(path: Path, flags: int) -> Optional[np.ndarray]:
    """cv2.imread, decompressing gzipped files (STARE's ``.ppm.gz``), with a PIL fallback for
    what OpenCV cannot decode (GIF)."""
    if path.name.lower().endswith('.gz'):
        with gzip.open(path, 'rb') as f:
            return cv2.imdecode(np.frombuffer(f.read(), np.uint8), flags)
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


def _output_folder(dataset: str, raw_dir: str, out_dir: str,
                   overwrite: bool) -> Tuple[Path, Path]:
    """(raw, out) resolved; refuses an output that overlaps the raw folder (only read) or
    exists without ``overwrite``."""
    raw, out = Path(raw_dir).resolve(), Path(out_dir).resolve()
    if out == raw or raw in out.parents or out in raw.parents:
        raise ValueError(f'{dataset}: the output {out} overlaps the raw folder {raw}, which '
                         f'the converter only reads; write it elsewhere')
    if out.exists() and not (out.is_dir() and not any(out.iterdir())):  # empty: free
        others = _not_written_by_a_converter(out)
        if others:
            raise FileExistsError(f'{dataset}: {out} exists and holds what no converter wrote '
                                  f'({", ".join(others[:5])}); choose a new folder (--overwrite '
                                  f'replaces only a converter\'s own output)')
        if not overwrite:
            raise FileExistsError(f'{dataset}: {out} exists (a converted dataset); choose a new '
                                  f'folder or pass --overwrite to replace it')
    return raw, out


CONVERTED_ENTRIES = ('images', 'masks', 'fov', 'splits', 'conversion.json')


def _not_written_by_a_converter(out: Path) -> List[str]:
    """The entries of ``out`` a converter did not write: everything when it has no
    ``conversion.json``, else what is neither one of :data:`CONVERTED_ENTRIES` nor a converted
    part (a subfolder with a ``conversion.json`` of its own, as :func:`convert_parts` writes)."""
    if not out.is_dir() or not (out / 'conversion.json').is_file():
        return sorted(p.name for p in out.iterdir()) if out.is_dir() else [out.name]
    return sorted(p.name for p in out.iterdir() if p.name not in CONVERTED_ENTRIES and not (
        p.is_dir() and not _not_written_by_a_converter(p)))


@dataclass
class PairSource:
    """Images of one raw folder (or file list) and where their masks are.

    Attributes:
        images: the image files.
        masks: the candidate mask files (may hold more than ``images`` need).
        mask_name: the candidate mask stems of an image stem, e.g. ``lambda s: [s + '_mask']``.
        split: the official split these pairs belong to (e.g. 'train', 'val', 'test'); None
            for datasets without one (``val_fraction`` then draws the split).
        fov: candidate field-of-view mask files (fundus datasets), written to ``fov/``.
        fov_name: the candidate field-of-view stems of an image stem.
        check_swapped: detect a copy whose image and mask folders are swapped.
        notes: what the locator noticed about this copy (e.g. fewer pairs than published);
            printed and recorded in ``conversion.json``.
    """
    images: List[Path]
    masks: List[Path]
    mask_name: Callable[[str], Sequence[str]] = lambda stem: [stem]
    split: Optional[str] = None
    fov: List[Path] = field(default_factory=list)
    fov_name: Callable[[str], Sequence[str]] = lambda stem: [stem + '_mask']
    check_swapped: bool = True
    notes: List[str] = field(default_factory=list)

    @classmethod
    def from_folders(cls, image_dir: Path, mask_dir: Path, **kwargs) -> 'PairSource':
        """The image files of ``image_dir`` and ``mask_dir`` (see :func:`image_files`)."""
        images, masks = image_files(image_dir), image_files(mask_dir)
        if not images or not masks:
            raise FileNotFoundError(f'{image_dir if not images else mask_dir} holds no image '
                                    f'files ({", ".join(RAW_EXTENSIONS)})')
        return cls(images, masks, **kwargs)


class BinaryMasks:
    """Masks are foreground where their grey value is above ``threshold`` (grey edges around
    {0, 255} allowed; see :func:`~alignflow.datasets.mask_io.check_mask`), or, with
    ``colors``, where their colour maps to 1; written {0, 255}."""

    def __init__(self, threshold: int = 127, colors: Optional[ColourMap] = None) -> None:
        if colors is not None and set(colors.values()) - {0, 1}:
            raise ValueError(f'--mask-colors maps to classes {sorted(set(colors.values()))}; '
                             f'binary masks take 0 or 1')
        self.threshold = threshold
        self.colors = colors

    def read(self, path: Path) -> Tuple[np.ndarray, bool]:
        """The mask to write, (H, W) {0, 255}, and whether it had grey values.

        Raises:
            MaskError: naming the file and what to do.
        """
        decoded = decode_mask(path)
        label = check_mask(decoded, path, threshold=self.threshold, colors=self.colors)
        values = set() if self.colors else set(np.unique(grey_of(decoded, path)).tolist())
        return label * 255, not (values <= {0, 1} or values <= {0, 255})


class LabelMasks:
    """Masks whose grey levels code classes (e.g. REFUGE: 255 background, 128 optic disc,
    0 optic cup); each pixel takes the class of the nearest level, written as class indices.

    Args:
        levels: ``{grey level: class index}``.
    """

    def __init__(self, levels: Dict[int, int]) -> None:
        self.levels = dict(levels)
        self.threshold = -1  # recorded in conversion.json: no threshold, nearest level

    def read(self, path: Path) -> Tuple[np.ndarray, bool]:
        """The class indices (H, W) and whether the mask had values other than the levels.

        Raises:
            MaskError: naming the file and what to do.
        """
        decoded = decode_mask(path)
        label = check_mask(decoded, path, levels=self.levels)
        return label, not np.isin(grey_of(decoded, path), list(self.levels)).all()


def pair_files(dataset: str, source: PairSource) -> List[Tuple[Path, Path, Optional[Path]]]:
    """(image, mask, field of view or None) of every image of ``source``; raises listing the
    images without a mask."""
    by_stem = {file_stem(p): p for p in source.masks}
    fov_by_stem = {file_stem(p): p for p in source.fov}
    pairs, unpaired = [], []
    for image in source.images:
        stem = file_stem(image)
        match = next((by_stem[s] for s in source.mask_name(stem) if s in by_stem), None)
        if match is None:
            unpaired.append(image.name)
            continue
        fov = next((fov_by_stem[s] for s in source.fov_name(stem) if s in fov_by_stem), None)
        pairs.append((image, match, fov))
    if unpaired:
        folder = source.masks[0].parent if source.masks else '(no masks)'
        raise FileNotFoundError(f'{dataset}: {len(unpaired)} image(s) have no mask in '
                                f'{folder}: {", ".join(unpaired[:5])}')
    return pairs


def convert_pairs(dataset: str, raw_dir: str, out_dir: str,
                  sources: Sequence[PairSource], masks: Optional[object] = None,
                  val_fraction: float = 0.0, seed: int = 0,
                  overwrite: bool = False) -> ConversionReport:
    """Write ``out_dir/images``, ``out_dir/masks`` (and ``fov/``), ``out_dir/splits/*.txt`` and
    ``conversion.json`` from the pairs of ``sources``.

    Args:
        dataset: the dataset's name (for messages and the record).
        raw_dir: the original download (only read).
        out_dir: the folder to create.
        sources: where the images and masks are (:class:`PairSource`). When a source's images
            look like masks and its masks like photographs (a copy with swapped folders), they
            are swapped and the report says so.
        masks: how masks are encoded: :class:`BinaryMasks` (default, threshold 127) or
            :class:`LabelMasks`.
        val_fraction: share of pairs in ``splits/val.txt`` (seeded); the rest in
            ``splits/train.txt``. ``splits/all.txt`` lists every stem. Sources with an
            official ``split`` write ``splits/<split>.txt`` instead (``val_fraction`` must be 0).
        seed: seed of the split.
        overwrite: replace an existing ``out_dir``.
    """
    raw, out = _output_folder(dataset, raw_dir, out_dir, overwrite)
    official = any(s.split for s in sources)
    if official and val_fraction:
        raise ValueError(f'{dataset} comes with an official split '
                         f'({", ".join(sorted({s.split for s in sources if s.split}))}); '
                         f'--val-fraction does not apply to it')
    masks = masks or BinaryMasks()
    notes: List[str] = []
    if getattr(masks, 'colors', None):
        notes.append(f'colour masks read with the classes {masks.colors} of --mask-colors')
    located: List[Tuple[Path, Path, Optional[Path], Optional[str]]] = []
    for source in sources:
        notes += source.notes
        if source.check_swapped and source.images and looks_like_masks(source.images) and \
                not looks_like_masks(source.masks):
            source = replace(source, images=source.masks, masks=source.images,
                             check_swapped=False)
            notes.append(f'{source.masks[0].parent.name}/ holds the masks and '
                         f'{source.images[0].parent.name}/ the images in this copy: swapped back')
        located += [(*found, source.split) for found in pair_files(dataset, source)]
    stems_seen: Dict[str, Path] = {}
    for image_path, *_ in located:
        stem = file_stem(image_path)
        if stem in stems_seen:
            raise ValueError(f'{dataset}: {image_path} and {stems_seen[stem]} share the stem '
                             f'{stem!r}; the output keeps one file per stem')
        stems_seen[stem] = image_path
    tmp = out.with_name(f'.{out.name}.partial')
    shutil.rmtree(tmp, ignore_errors=True)
    for folder in ('images', 'masks', 'splits') + (('fov', ) if any(f for *_, f, _ in located)
                                                   else ()):
        (tmp / folder).mkdir(parents=True)
    irregular, problems = 0, []
    split_of: Dict[str, Optional[str]] = {}
    for image_path, mask_path, fov_path, split in located:
        stem = file_stem(image_path)
        image = read_any(image_path, cv2.IMREAD_COLOR)
        if image is None:
            problems.append(f'{image_path} is unreadable')
            continue
        try:
            mask, had_grey = masks.read(mask_path)
        except (MaskError, FileNotFoundError) as error:
            problems.append(str(error))
            continue
        if image.shape[:2] != mask.shape:
            problems.append(f'{mask_path.name} is {mask.shape} but {image_path.name} is '
                            f'{image.shape[:2]}')
            continue
        irregular += had_grey
        if image_path.suffix.lower() in COPIED_EXTENSIONS and image_path.stem == stem:
            shutil.copyfile(image_path, tmp / 'images' / image_path.name)
        else:
            cv2.imwrite(str(tmp / 'images' / f'{stem}.png'), image)
        cv2.imwrite(str(tmp / 'masks' / f'{stem}.png'), mask)
        if fov_path is not None:
            try:
                fov = BinaryMasks().read(fov_path)[0]
            except MaskError as error:
                problems.append(f'field-of-view mask: {error}')
                continue
            if fov.shape != mask.shape:
                problems.append(f'field-of-view mask {fov_path} is not the size of '
                                f'{image_path.name}')
                continue
            cv2.imwrite(str(tmp / 'fov' / f'{stem}.png'), fov)
        split_of[stem] = split
    if problems:
        shutil.rmtree(tmp)
        raise ValueError(f'{dataset}: {len(problems)} pair(s) cannot be converted:\n  '
                         + '\n  '.join(problems))
    order = sorted(split_of)
    if official:
        splits = dict(all=order)
        for name in sorted({s.split for s in sources if s.split}):
            splits[name] = [s for s in order if split_of[s] == name]
    else:
        val = sorted(random.Random(seed).sample(order, round(val_fraction * len(order))))
        splits = dict(all=order, train=[s for s in order if s not in set(val)], val=val) \
            if val else dict(all=order)
    for name, listed in splits.items():
        (tmp / 'splits' / f'{name}.txt').write_text(''.join(f'{s}\n' for s in listed))
    report = ConversionReport(dataset, str(raw), len(order), masks.threshold, irregular,
                              any('swapped back' in n for n in notes),
                              {k: len(v) for k, v in splits.items()}, notes)
    (tmp / 'conversion.json').write_text(json.dumps(report.__dict__, indent=1) + '\n')
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return report


Located = Union[Tuple[Path, Path, Callable[[str], Sequence[str]]], List[PairSource],
                Dict[str, List[PairSource]]]


def convert_parts(dataset: str, raw_dir: str, out_dir: str,
                  parts: Dict[str, List[PairSource]], overwrite: bool = False,
                  **kwargs) -> Dict[str, ConversionReport]:
    """:func:`convert_pairs` for a dataset made of several ones (the PraNet split:
    ``TrainDataset`` and five test sets): ``out_dir/<part>/`` each, built together in a
    temporary folder and renamed when all are complete."""
    raw, out = _output_folder(dataset, raw_dir, out_dir, overwrite)
    tmp = out.with_name(f'.{out.name}.partial')
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        reports = {name: convert_pairs(f'{dataset} {name}', raw_dir, str(tmp / name), sources,
                                       **kwargs) for name, sources in parts.items()}
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    (tmp / 'conversion.json').write_text(json.dumps(
        {name: report.__dict__ for name, report in reports.items()}, indent=1) + '\n')
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return reports


def _print_report(report: ConversionReport, out_dir: str, masks) -> None:
    how = (f'values other than {sorted(masks.levels)} taken as the nearest'
           if isinstance(masks, LabelMasks) else f'binarised at > {report.threshold}')
    print(f'{report.dataset}: {report.pairs} pairs written to {out_dir}; {report.grey_masks} '
          f'masks had grey values ({how}); splits {report.split}')
    for note in report.notes:
        print(f'note: {note}')


def converter_main(dataset: str, locate: Callable[[Path], Located], doc: str, argv=None,
                   masks: Optional[object] = None, val_fraction: float = 0.0,
                   official_split: bool = False,
                   add_arguments: Optional[Callable[[object], None]] = None):
    """The command line every ``tools/dataset_converters/<name>.py`` shares:
    ``RAW_DIR -o OUT [--threshold 127] [--val-fraction F] [--seed S] [--overwrite]``.

    ``locate(raw)`` says where the pairs are: ``(image_dir, mask_dir, mask_name)``, a list of
    :class:`PairSource`, or ``{part: [PairSource, ...]}`` for :func:`convert_parts`.
    ``masks`` is the mask encoding (default :class:`BinaryMasks` at ``--threshold``),
    ``val_fraction`` the default of ``--val-fraction``; ``official_split`` drops that option
    (the sources carry the dataset's own split). ``add_arguments(parser)`` adds a
    converter's own options; ``locate`` is then called as ``locate(raw, args)``.
    """
    import argparse
    parser = argparse.ArgumentParser(description=doc.split('\n')[0])
    parser.add_argument('raw_dir', help=f'the original {dataset} download (only read)')
    parser.add_argument('-o', '--out-dir', required=True)
    if masks is None:
        parser.add_argument('--threshold', type=int, default=127,
                            help='masks are foreground above this grey value')
        parser.add_argument('--mask-colors', nargs='+', metavar='R,G,B=CLASS',
                            help='colour masks: the class (0 or 1) of each colour, e.g. '
                                 '0,0,0=0 255,0,0=1 (a colour mask is refused without it)')
    if not official_split:
        parser.add_argument('--val-fraction', type=float, default=val_fraction,
                            help='share of pairs in splits/val.txt (the rest in '
                            'splits/train.txt)')
        parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--overwrite', action='store_true')
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        masks = masks or BinaryMasks(args.threshold, parse_colour_map(args.mask_colors)
                                     if args.mask_colors else None)
    except ValueError as err:
        raise SystemExit(f'{dataset}: {err}')
    options = dict(masks=masks, overwrite=args.overwrite)
    if not official_split:
        if not 0 <= args.val_fraction < 1:
            raise SystemExit(f'{dataset}: --val-fraction {args.val_fraction} is not in [0, 1)')
        options.update(val_fraction=args.val_fraction, seed=args.seed)
    raw = Path(args.raw_dir)
    if not raw.is_dir():
        raise SystemExit(f'{dataset}: {raw} does not exist')
    try:
        located = locate(raw, args) if add_arguments is not None else locate(raw)
        if isinstance(located, tuple):
            image_dir, mask_dir, mask_name = located
            located = [PairSource.from_folders(image_dir, mask_dir, mask_name=mask_name)]
        if isinstance(located, dict):
            reports = convert_parts(dataset, args.raw_dir, args.out_dir, located, **options)
            for name, report in reports.items():
                _print_report(report, str(Path(args.out_dir) / name), masks)
            return reports
        report = convert_pairs(dataset, args.raw_dir, args.out_dir, located, **options)
    except (FileNotFoundError, FileExistsError, ValueError, PermissionError) as err:
        raise SystemExit(f'{dataset}: {user_message(err)}' if isinstance(err, PermissionError)
                         else str(err))
    _print_report(report, args.out_dir, masks)
    return report
