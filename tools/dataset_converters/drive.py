"""Convert DRIVE (training/ + test/, TIFF images, GIF manual labels) to images/ + masks/ + fov/.

    python tools/dataset_converters/drive.py RAW_DIR -o data/DRIVE
RAW_DIR is the unpacked ``DRIVE/`` download: ``{training,test}/images/NN_<split>.tif``, the
first observer's vessels ``{training,test}/1st_manual/NN_manual1.gif`` and the field-of-view
masks ``{training,test}/mask/NN_<split>_mask.gif``. Stems stay ``NN_training``/``NN_test``;
the official split becomes ``splits/train.txt`` (20 training images) and ``splits/val.txt``
(20 test images), the field-of-view masks go to ``fov/``. Copies without test labels (the
challenge release withholds ``test/1st_manual``) are converted without the test images, and
the converter says so.
"""
from alignflow.datasets.conversion import PairSource, converter_main, find_folder, image_files


def _split(folder, split):
    images = find_folder(folder, ['images'], f'{folder.name} image')
    manual = find_folder(folder, ['1st_manual'], f'{folder.name} 1st_manual label')
    fov = [] if not (folder / 'mask').is_dir() else image_files(folder / 'mask')
    return PairSource.from_folders(
        images, manual, mask_name=lambda stem: [stem.split('_')[0] + '_manual1'], split=split,
        fov=fov, check_swapped=False)


def locate(raw):
    training = find_folder(raw, ['training', 'DRIVE/training'], 'training')
    sources = [_split(training, 'train')]
    test = training.parent / 'test'
    if (test / '1st_manual').is_dir():
        sources.append(_split(test, 'val'))
    else:
        sources.append(PairSource([], [], split='val', notes=[
            f'{test} has no 1st_manual/ labels (the challenge release withholds them): only '
            f'training/ is converted, splits/val.txt is empty']))
    return sources


if __name__ == '__main__':
    converter_main('DRIVE', locate, __doc__, official_split=True)
