"""Convert CVC-ClinicDB (Original/*.tif, Ground Truth/*.tif) to images/ + masks/ (PNG).

    python tools/dataset_converters/clinicdb.py RAW_DIR -o data/CVC-ClinicDB
Copies whose images/ and masks/ folders are swapped are detected and swapped back.
"""
from alignflow.datasets.conversion import converter_main, find_folder


def locate(raw):
    images = find_folder(raw, ['Original', 'images', 'PNG/Original', 'TIF/Original'], 'image')
    masks = find_folder(raw, ['Ground Truth', 'masks', 'PNG/Ground Truth', 'TIF/Ground Truth'],
                        'mask')
    return images, masks, lambda stem: [stem]


if __name__ == '__main__':
    converter_main('CVC-ClinicDB', locate, __doc__)
