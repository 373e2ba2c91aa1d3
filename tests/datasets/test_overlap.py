"""Target images that are also source images are found by their pixels, not their names."""
import shutil

import cv2
import numpy as np
import pytest

from alignflow.datasets.overlap import OverlapError, check_no_overlap, find_overlap


def _write(path, seed, size=(24, 20)):
    image = np.random.default_rng(seed).integers(0, 255, (*size, 3), dtype=np.uint8)
    cv2.imwrite(str(path), image)
    return path


def test_a_renamed_copy_and_a_lossless_resave_are_found_and_a_different_image_is_not(tmp_path):
    source = [_write(tmp_path / f's{i}.png', i) for i in range(4)]
    copied = shutil.copy(source[1], tmp_path / 'renamed.png')
    resaved = tmp_path / 'resaved.bmp'
    cv2.imwrite(str(resaved), cv2.imread(str(source[2])))
    other = _write(tmp_path / 'other.png', 99)
    other_size = _write(tmp_path / 'other_size.png', 1, size=(30, 20))
    pairs = find_overlap([copied, resaved, other, other_size], source)
    found = [(a.name, b.name) for a, b in pairs]
    assert found == [('renamed.png', 's1.png'), ('resaved.bmp', 's2.png')]


def test_the_error_names_the_files_and_the_fix(tmp_path):
    source = [_write(tmp_path / 's0.png', 0)]
    copy = shutil.copy(source[0], tmp_path / 'ref.png')
    with pytest.raises(OverlapError, match=r'1 reference images .*/ref\.png = .*/s0\.png\. do X'):
        check_no_overlap([copy], source, 'reference images', 'the source', 'do X')
    check_no_overlap([_write(tmp_path / 'new.png', 5)], source, 'reference images', 'the source',
                     'do X')
