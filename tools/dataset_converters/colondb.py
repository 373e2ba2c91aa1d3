"""Convert CVC-ColonDB (images/ + masks/, or Original/ + Ground Truth/) to images/ + masks/.

    python tools/dataset_converters/colondb.py RAW_DIR -o data/CVC-ColonDB
"""
from alignflow.datasets.conversion import converter_main, find_folder


def locate(raw):
    images = find_folder(raw, ['images', 'Original'], 'image')
    masks = find_folder(raw, ['masks', 'Ground Truth', 'GT'], 'mask')
    return images, masks, lambda stem: [stem, 'p' + stem]


if __name__ == '__main__':
    converter_main('CVC-ColonDB', locate, __doc__)
