"""Convert Kvasir-SEG (images/*.jpg, masks/*.jpg with JPEG grey edges) to images/ + masks/.

    python tools/dataset_converters/kvasir.py RAW_DIR -o data/Kvasir-SEG [--val-fraction 0.1]
"""
from alignflow.datasets.conversion import converter_main, find_folder


def locate(raw):
    images = find_folder(raw, ['images'], 'image')
    masks = find_folder(raw, ['masks'], 'mask')
    return images, masks, lambda stem: [stem]


if __name__ == '__main__':
    converter_main('Kvasir-SEG', locate, __doc__)
