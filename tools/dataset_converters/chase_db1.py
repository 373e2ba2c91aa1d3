"""Convert CHASE_DB1 (Image_NNx.jpg + Image_NNx_1stHO.png in one folder) to images/ + masks/.

    python tools/dataset_converters/chase_db1.py RAW_DIR -o data/CHASE_DB1
RAW_DIR is the unpacked ``CHASEDB1.zip`` (28 images of 14 children, left and right eye, with
the first and second observer's vessel labels side by side). Masks are the first observer's
(``_1stHO``). Split as in the vessel literature: children 01-10 (20 images) in
``splits/train.txt``, 11-14 (8 images) in ``splits/val.txt``.
"""
import re

from alignflow.datasets.conversion import PairSource, converter_main, file_stem, image_files

LABEL = re.compile(r'_(1st|2nd)HO$')
CHILD = re.compile(r'Image_(\d+)[LR]$')
FIRST_TEST_CHILD = 11


def locate(raw):
    folder = raw / 'CHASEDB1' if (raw / 'CHASEDB1').is_dir() else raw
    files = image_files(folder)
    images = [p for p in files if not LABEL.search(file_stem(p))]
    labels = [p for p in files if file_stem(p).endswith('_1stHO')]
    odd = [p.name for p in images if not CHILD.match(file_stem(p))]
    if not images or not labels or odd:
        raise FileNotFoundError(
            f'CHASE_DB1: expected Image_NN[LR].jpg images with Image_NN[LR]_1stHO.png labels '
            f'in {folder}; found {len(images)} images, {len(labels)} labels'
            + (f', unexpected names {", ".join(odd[:5])}' if odd else ''))

    def split(child_images, name):
        return PairSource(child_images, labels, mask_name=lambda stem: [stem + '_1stHO'],
                          split=name, check_swapped=False)

    child = {p: int(CHILD.match(file_stem(p)).group(1)) for p in images}
    return [split([p for p in images if child[p] < FIRST_TEST_CHILD], 'train'),
            split([p for p in images if child[p] >= FIRST_TEST_CHILD], 'val')]


if __name__ == '__main__':
    converter_main('CHASE_DB1', locate, __doc__, official_split=True)
