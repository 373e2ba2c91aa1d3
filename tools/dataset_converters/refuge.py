"""Convert REFUGE (fundus photographs, optic disc and cup masks) to images/ + masks/ (3 classes).

    python tools/dataset_converters/refuge.py RAW_DIR -o data/REFUGE
RAW_DIR holds the unpacked challenge archives, in any of their layouts: the images (``*.jpg``)
of ``*Training400*``, ``*Validation400*`` and ``*Test400*`` folders and the ``Disc_Cup_Masks``
(``*.bmp``, 255 background, 128 optic disc, 0 optic cup) of their annotation archives,
paired by file name (``g0001``, ``n0001``, ``V0001``, ``T0001``). The folder an image comes
from gives its split: ``splits/train.txt``, ``splits/val.txt``, ``splits/test.txt``.
Masks are written as class indices in mmseg's REFUGE order: 0 background, 1 optic cup, 2 optic
disc (the rim: disc minus cup, as the raw masks code it); grey values (resampled masks) take the
nearest level, and the converter counts them. Load the result with ``FundusDiscCupDataset``.
"""
from alignflow.datasets.conversion import LabelMasks, PairSource, converter_main, is_image_file

REFUGE_LEVELS = {255: 0, 0: 1, 128: 2}
SPLITS = (('train', 'train'), ('val', 'val'), ('test', 'test'))


def _split_of(path, raw):
    for part in path.relative_to(raw).parts[:-1]:
        for keyword, split in SPLITS:
            if keyword in part.lower():
                return split
    return None


def _is_mask_path(path, raw):
    return any('mask' in part.lower() or part.lower().endswith('gt')
               for part in path.relative_to(raw).parts[:-1])


def locate(raw):
    files = sorted(p for p in raw.rglob('*') if is_image_file(p))
    masks = [p for p in files if _is_mask_path(p, raw) and p.suffix.lower() in ('.bmp', '.png')]
    images = [p for p in files if not _is_mask_path(p, raw) and p.suffix.lower() == '.jpg']
    if not images or not masks:
        raise FileNotFoundError(
            f'REFUGE: expected fundus images (*.jpg) and Disc_Cup_Masks (*.bmp) under {raw}; '
            f'found {len(images)} images and {len(masks)} masks')
    unsplit = [p.name for p in images if _split_of(p, raw) is None]
    if unsplit:
        raise FileNotFoundError(
            f'REFUGE: {len(unsplit)} image(s) are in no Training/Validation/Test folder, so '
            f'their split is unknown: {", ".join(unsplit[:5])}')
    return [PairSource([p for p in images if _split_of(p, raw) == split], masks, split=split,
                       check_swapped=False)
            for split in sorted({_split_of(p, raw) for p in images})]


if __name__ == '__main__':
    converter_main('REFUGE', locate, __doc__, masks=LabelMasks(REFUGE_LEVELS),
                   official_split=True)
