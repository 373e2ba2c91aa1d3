"""Convert STARE (stare-images/imNNNN.ppm[.gz], labels-ah/imNNNN.ah.ppm[.gz]) to images/ + masks/.

    python tools/dataset_converters/stare.py RAW_DIR -o data/STARE [--labels vk]
RAW_DIR holds the unpacked ``stare-images.tar`` and ``labels-ah.tar`` (and/or ``labels-vk.tar``);
the files may stay gzipped. Masks are Hoover's labels (``ah``, the usual ground truth) or
Kouznetsova's (``--labels vk``). STARE has no official split: ``--val-fraction`` (default 0.5)
draws a seeded ``splits/val.txt``.
"""
from alignflow.datasets.conversion import PairSource, converter_main, find_folder


def add_arguments(parser):
    parser.add_argument('--labels', choices=('ah', 'vk'), default='ah',
                        help="whose vessel labels: Hoover's (ah) or Kouznetsova's (vk)")


def locate(raw, args):
    images = find_folder(raw, ['stare-images', 'images'], 'image (stare-images/)')
    labels = find_folder(raw, [f'labels-{args.labels}', 'masks'],
                         f'label (labels-{args.labels}/)')
    return [PairSource.from_folders(images, labels, check_swapped=False,
                                    mask_name=lambda stem: [f'{stem}.{args.labels}', stem])]


if __name__ == '__main__':
    converter_main('STARE', locate, __doc__, val_fraction=0.5, add_arguments=add_arguments)
