"""The one mask reader: what it accepts, what it refuses, and what a refusal says."""
import cv2
import numpy as np
import pytest

from alignflow.datasets.mask_io import MaskError, check_mask_files, read_mask


def square(value=255, hw=(40, 50), background=0):
    mask = np.full(hw, background, np.uint8)
    mask[10:30, 10:30] = value
    return mask


def write(path, array):
    assert cv2.imwrite(str(path), array)
    return path


@pytest.mark.parametrize('value', [1, 255])
def test_binary_masks_read_as_zero_one(tmp_path, value):
    label = read_mask(write(tmp_path / 'm.png', square(value)))
    assert label.dtype == np.uint8 and set(np.unique(label)) == {0, 1}
    assert label[20, 20] == 1 and label[0, 0] == 0


def test_colour_file_with_equal_channels_is_grey(tmp_path):
    label = read_mask(write(tmp_path / 'm.png', np.repeat(square()[..., None], 3, axis=2)))
    assert label.shape == (40, 50) and label[20, 20] == 1


def test_grey_zero_hundred_refused_with_its_conversion(tmp_path):
    path = write(tmp_path / 'm.png', square(100))
    with pytest.raises(MaskError) as err:
        read_mask(path)
    message = str(err.value)
    assert str(path) in message and '[0, 100]' in message
    assert 'm == 100' in message and 'm > 127' not in message  # > 127 would empty it


def test_red_mask_refused_unless_mapped(tmp_path):
    red = np.zeros((40, 50, 3), np.uint8)
    red[10:30, 10:30] = (0, 0, 255)  # BGR
    path = write(tmp_path / 'm.png', red)
    assert cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)[20, 20] == 76  # what a grey read sees
    with pytest.raises(MaskError) as err:
        read_mask(path)
    message = str(err.value)
    assert str(path) in message and 'channels differ' in message and '(255, 0, 0)' in message
    assert '--mask-colors' in message
    label = read_mask(path, colors={(0, 0, 0): 0, (255, 0, 0): 1})
    assert label[20, 20] == 1 and label[0, 0] == 0
    with pytest.raises(MaskError, match=r'\(255, 0, 0\)'):
        read_mask(path, colors={(0, 0, 0): 0})


def test_photo_refused(tmp_path):
    rng = np.random.default_rng(0)
    path = write(tmp_path / 'p.png', rng.integers(0, 256, (40, 50), dtype=np.uint8))
    with pytest.raises(MaskError, match='photograph'):
        read_mask(path)
    colour = write(tmp_path / 'c.jpg', rng.integers(0, 256, (40, 50, 3), dtype=np.uint8))
    with pytest.raises(MaskError, match='channels differ'):
        read_mask(colour)


def test_grey_edges_suggest_a_threshold(tmp_path):
    mask = square()
    mask[9, 10:30] = 128
    path = write(tmp_path / 'm.png', mask)
    with pytest.raises(MaskError) as err:
        read_mask(path)
    assert 'grey edges' in str(err.value) and 'm > 127' in str(err.value)


def test_class_levels_refused_with_both_conversions(tmp_path):
    mask = square(128, background=255)
    mask[15:25, 15:25] = 0
    with pytest.raises(MaskError) as err:
        read_mask(write(tmp_path / 'm.png', mask))
    assert 'np.searchsorted([0, 128, 255], m)' in str(err.value) and 'm > 0' in str(err.value)


def test_class_indices_where_the_dataset_says_so(tmp_path):
    mask = square(2)
    mask[15:20, 15:20] = 1
    path = write(tmp_path / 'm.png', mask)
    assert set(np.unique(read_mask(path, num_classes=3))) == {0, 1, 2}
    with pytest.raises(MaskError, match=r'class indices 0\.\.1'):
        read_mask(path, num_classes=2)


def test_original_downloads_threshold_edges_refuse_lost_content(tmp_path):
    edged = square()
    edged[9, 10:30], edged[30, 10:30] = 100, 200  # anti-aliased edges
    label = read_mask(write(tmp_path / 'e.png', edged), threshold=127)
    assert label[30, 20] == 1 and label[9, 20] == 0
    faint = write(tmp_path / 'f.png', square(100))
    with pytest.raises(MaskError) as err:
        read_mask(faint, threshold=127)
    assert str(faint) in str(err.value) and '--threshold 50' in str(err.value)
    assert read_mask(faint, threshold=50)[20, 20] == 1
    jpeg = write(tmp_path / 'j.jpg', np.repeat(square()[..., None], 3, axis=2))
    assert read_mask(jpeg, threshold=127)[20, 20] == 1  # JPEG chroma noise is still grey


def test_grey_levels_of_an_original_download(tmp_path):
    levels = {255: 0, 0: 1, 128: 2}
    mask = square(128, background=255)
    mask[9, 10:30] = 140
    assert read_mask(write(tmp_path / 'm.png', mask), levels=levels)[9, 20] == 2
    rng = np.random.default_rng(0)
    with pytest.raises(MaskError, match='far from the class levels'):
        read_mask(write(tmp_path / 'p.png', rng.integers(0, 256, (40, 50), dtype=np.uint8)),
                  levels=levels)


def test_size_against_its_image_and_unreadable_files(tmp_path):
    path = write(tmp_path / 'm.png', square())
    with pytest.raises(MaskError, match='40x50 .* 40x60'):
        read_mask(path, image_hw=(40, 60), image_path='i.png')
    broken = tmp_path / 'b.png'
    broken.write_bytes(b'garbage')
    with pytest.raises(MaskError, match='unreadable'):
        read_mask(broken)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        read_mask(tmp_path / 'missing.png')


def test_check_mask_files_lists_every_bad_file(tmp_path):
    good = write(tmp_path / 'a.png', square())
    bad = [write(tmp_path / 'b.png', square(100)), write(tmp_path / 'c.png', square(7))]
    check_mask_files([good])
    with pytest.raises(MaskError) as err:
        check_mask_files([good, *bad], what='source masks')
    assert '2 of 3 source masks' in str(err.value)
    assert all(str(path) in str(err.value) for path in bad)
