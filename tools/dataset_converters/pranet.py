"""Convert the PraNet polyp split (TrainDataset + TestDataset/<five sets>) to images/ + masks/.

    python tools/dataset_converters/pranet.py RAW_DIR -o data/polyp
RAW_DIR holds ``TrainDataset/{image,mask}/`` (900 Kvasir-SEG + 550 CVC-ClinicDB pairs) and
``TestDataset/<set>/{images,masks}/`` for Kvasir, CVC-ClinicDB, CVC-ColonDB, ETIS-LaribPolypDB
and CVC-300 (100, 62, 380, 196 and 60 pairs), as PraNet's download unpacks them. The output
mirrors it: ``data/polyp/TrainDataset/`` and ``data/polyp/TestDataset/<set>/``, each in the
images/ + masks/ layout with ``splits/all.txt`` (``--val-fraction`` draws a
``splits/train.txt``/``val.txt`` inside TrainDataset only). A set whose pair count differs
from the published one is converted and reported, since copies circulate with files missing.
"""
from alignflow.datasets.conversion import PairSource, converter_main, find_folder

TRAIN_PAIRS = 1450
TEST_SETS = {'Kvasir': 100, 'CVC-ClinicDB': 62, 'CVC-ColonDB': 380, 'ETIS-LaribPolypDB': 196,
             'CVC-300': 60}


def _source(folder, split=None):
    images = find_folder(folder, ['image', 'images'], f'{folder.name} image')
    masks = find_folder(folder, ['mask', 'masks'], f'{folder.name} mask')
    return PairSource.from_folders(images, masks, split=split)


def locate(raw):
    train = find_folder(raw, ['TrainDataset'], 'TrainDataset')
    test_root = find_folder(raw, ['TestDataset'], 'TestDataset')
    missing = [name for name in TEST_SETS if not (test_root / name).is_dir()]
    if missing:
        raise FileNotFoundError(f'PraNet: {test_root} lacks {", ".join(missing)}; expected the '
                                f'five test sets {", ".join(TEST_SETS)}')
    parts = {'TrainDataset': [_source(train)]}
    parts.update({f'TestDataset/{name}': [_source(test_root / name)] for name in TEST_SETS})
    expected = dict(TrainDataset=TRAIN_PAIRS, **{f'TestDataset/{k}': v
                                                 for k, v in TEST_SETS.items()})
    for name, (source, ) in parts.items():
        if len(source.images) != expected[name]:
            source.notes.append(f'{name} holds {len(source.images)} images; the published '
                                f'split has {expected[name]}')
    return parts


if __name__ == '__main__':
    converter_main('PraNet', locate, __doc__)
