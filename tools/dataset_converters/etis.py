"""Convert ETIS-LaribPolypDB to images/ + masks/.

The original layout (ETIS-LaribPolypDB/*.tif + GroundTruth/p*.tif) or images/ + masks/.

    python tools/dataset_converters/etis.py RAW_DIR -o data/ETIS-LaribPolypDB
"""
from alignflow.datasets.conversion import converter_main, find_folder


def locate(raw):
    images = find_folder(raw, ['images', 'ETIS-LaribPolypDB'], 'image')
    masks = find_folder(raw, ['masks', 'GroundTruth', 'Ground Truth'], 'mask')
    return images, masks, lambda stem: [stem, 'p' + stem]


if __name__ == '__main__':
    converter_main('ETIS-LaribPolypDB', locate, __doc__)
