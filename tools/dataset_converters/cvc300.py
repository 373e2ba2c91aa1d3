"""Convert CVC-300 (EndoScene test: images/ + masks/) to images/ + masks/.

    python tools/dataset_converters/cvc300.py RAW_DIR -o data/CVC-300
"""
from alignflow.datasets.conversion import converter_main, find_folder


def locate(raw):
    images = find_folder(raw, ['images', 'Original'], 'image')
    masks = find_folder(raw, ['masks', 'Ground Truth', 'GT'], 'mask')
    return images, masks, lambda stem: [stem]


if __name__ == '__main__':
    converter_main('CVC-300', locate, __doc__)
