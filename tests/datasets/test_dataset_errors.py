"""Every bad input fails with an error that names the offending file."""
import re

import cv2
import numpy as np
import pytest


def build_and_load(build_dataset, root, pipeline, index=0, check_files=True):
    return build_dataset(dict(type='ImageMaskDataset', data_root=str(root),
                              pipeline=pipeline, check_files=check_files))[index]


@pytest.fixture(params=[True, False], ids=['found-by-the-pre-check', 'found-when-loaded'])
def check_files(request):
    """Each bad file is named alike by the dataset pre-check and by the loading transforms."""
    return request.param


def test_missing_data_root(tmp_path, build_dataset):
    missing = tmp_path / 'nowhere'
    with pytest.raises(FileNotFoundError) as err:
        build_dataset(dict(type='PolypDataset', data_root=str(missing)))
    msg = str(err.value)
    assert str(missing) in msg and '`data_root`' in msg
    assert '--cfg-options train_dataloader.dataset.data_root=' in msg


@pytest.mark.parametrize('folder', ['images', 'masks'])
def test_missing_subfolder(tmp_path, write_pair, build_dataset, folder):
    write_pair(tmp_path, 'a', image=folder == 'masks', with_mask=folder == 'images')
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / folder))):
        build_dataset(dict(type='ImageMaskDataset', data_root=str(tmp_path)))


def test_empty_folder(tmp_path, write_pair, build_dataset):
    write_pair(tmp_path, 'a', image=False)
    (tmp_path / 'images').mkdir()
    images = re.escape(str(tmp_path / 'images'))
    with pytest.raises(FileNotFoundError, match=f'No image files .* in {images}'):
        build_dataset(dict(type='ImageMaskDataset', data_root=str(tmp_path)))


def test_image_without_mask(tmp_path, write_pair, build_dataset):
    write_pair(tmp_path, 'paired')
    for i in range(7):
        write_pair(tmp_path, f'lonely{i}', ext='.jpg', with_mask=False)
    with pytest.raises(FileNotFoundError) as err:
        build_dataset(dict(type='ImageMaskDataset', data_root=str(tmp_path)))
    msg = str(err.value)
    assert '7 image(s)' in msg and 'lonely0.jpg' in msg and '(+2 more)' in msg
    assert 'paired' not in msg


def test_mask_without_image(tmp_path, write_pair, build_dataset):
    write_pair(tmp_path, 'paired')
    write_pair(tmp_path, 'orphan', image=False)
    with pytest.raises(FileNotFoundError, match=r'1 mask\(s\) .* orphan\.png'):
        build_dataset(dict(type='ImageMaskDataset', data_root=str(tmp_path)))


def test_split_stem_without_pair(tmp_path, write_pair, build_dataset):
    write_pair(tmp_path, 'a')
    (tmp_path / 'split.txt').write_text('a\nghost\n')
    with pytest.raises(FileNotFoundError, match='split.txt .*ghost'):
        build_dataset(dict(type='ImageMaskDataset', data_root=str(tmp_path),
                           ann_file='split.txt'))


def test_duplicate_stem(tmp_path, write_pair, build_dataset):
    write_pair(tmp_path, 'a', ext='.jpg')
    write_pair(tmp_path, 'a', ext='.png')
    with pytest.raises(ValueError, match="'a' .*a.jpg and a.png"):
        build_dataset(dict(type='ImageMaskDataset', data_root=str(tmp_path)))


def test_mask_size_differs_from_image(tmp_path, write_pair, build_dataset, seg_pipeline,
                                      check_files):
    write_pair(tmp_path, 'a', hw=(40, 50), mask=np.zeros((40, 60), np.uint8))
    with pytest.raises(ValueError) as err:
        build_and_load(build_dataset, tmp_path, seg_pipeline,
                       check_files=check_files)
    msg = str(err.value)
    assert str(tmp_path / 'masks' / 'a.png') in msg and str(tmp_path / 'images' / 'a.png') in msg
    assert '40x60' in msg and '40x50' in msg


def test_non_binary_mask(tmp_path, write_pair, build_dataset, seg_pipeline, check_files):
    mask = np.zeros((40, 50), np.uint8)
    mask[:10], mask[10:20] = 128, 255
    write_pair(tmp_path, 'a', mask=mask)
    with pytest.raises(ValueError) as err:
        build_and_load(build_dataset, tmp_path, seg_pipeline,
                       check_files=check_files)
    msg = str(err.value)
    assert str(tmp_path / 'masks' / 'a.png') in msg and '[0, 128, 255]' in msg
    assert 'np.searchsorted' in msg and 'm > 0' in msg


def test_grey_zero_hundred_mask_gets_a_conversion_that_keeps_it(tmp_path, write_pair,
                                                                build_dataset, seg_pipeline,
                                                                check_files):
    mask = np.zeros((40, 50), np.uint8)
    mask[10:20] = 100
    write_pair(tmp_path, 'a', mask=mask)
    with pytest.raises(ValueError) as err:
        build_and_load(build_dataset, tmp_path, seg_pipeline, check_files=check_files)
    msg = str(err.value)
    assert str(tmp_path / 'masks' / 'a.png') in msg and '[0, 100]' in msg
    assert 'm == 100' in msg and 'mask > 127' not in msg and 'm > 127' not in msg


def test_colour_mask(tmp_path, write_pair, build_dataset, seg_pipeline, check_files):
    red = np.zeros((40, 50, 3), np.uint8)
    red[10:20] = (0, 0, 255)
    write_pair(tmp_path, 'a', mask=red)
    with pytest.raises(ValueError) as err:
        build_and_load(build_dataset, tmp_path, seg_pipeline,
                       check_files=check_files)
    msg = str(err.value)
    assert str(tmp_path / 'masks' / 'a.png') in msg and 'channels differ' in msg


def test_grey_mask_saved_as_colour_is_read(tmp_path, write_pair, build_dataset, seg_pipeline,
                                           check_files):
    mask = np.zeros((40, 50, 3), np.uint8)
    mask[10:20] = 255
    write_pair(tmp_path, 'a', mask=mask)
    sample = build_and_load(build_dataset, tmp_path, seg_pipeline, check_files=check_files)
    assert sample['data_samples'].gt_sem_seg.data.max() == 1


@pytest.mark.parametrize('content', [b'', b'not a png at all', b'\x89PNG\r\n\x1a\n' + b'\0' * 40])
def test_corrupt_image(tmp_path, write_pair, build_dataset, seg_pipeline, content, check_files):
    write_pair(tmp_path, 'a')
    image = tmp_path / 'images' / 'a.png'
    image.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(f'{image} is unreadable')):
        build_and_load(build_dataset, tmp_path, seg_pipeline,
                       check_files=check_files)


def test_corrupt_mask(tmp_path, write_pair, build_dataset, seg_pipeline, check_files):
    write_pair(tmp_path, 'a')
    mask = tmp_path / 'masks' / 'a.png'
    mask.write_bytes(b'garbage')
    with pytest.raises(ValueError, match=re.escape(f'{mask} is unreadable')):
        build_and_load(build_dataset, tmp_path, seg_pipeline,
                       check_files=check_files)


def test_image_deleted_after_listing(tmp_path, write_pair, build_dataset, seg_pipeline):
    write_pair(tmp_path, 'a')
    ds = build_dataset(dict(type='ImageMaskDataset', data_root=str(tmp_path),
                            pipeline=seg_pipeline))
    image = tmp_path / 'images' / 'a.png'
    image.unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(f'{image} does not')):
        ds[0]


def test_grayscale_image_is_expanded_to_bgr(tmp_path, write_pair, build_dataset, seg_pipeline):
    write_pair(tmp_path, 'a')
    cv2.imwrite(str(tmp_path / 'images' / 'a.png'), np.full((40, 50), 7, np.uint8))
    out = build_and_load(build_dataset, tmp_path, seg_pipeline)
    assert out['inputs'].shape == (3, 64, 64)


def test_the_pre_check_lists_every_bad_file_at_once_and_caches_good_pairs(
        tmp_path, write_pair, build_dataset):
    from alignflow.datasets.pair_check import check_pairs
    for stem in 'abcdef':
        write_pair(tmp_path, stem)
    write_pair(tmp_path, 'b', mask=np.full((40, 50), 128, np.uint8))
    write_pair(tmp_path, 'e', mask=np.dstack([np.zeros((40, 50), np.uint8)] * 2
                                             + [np.full((40, 50), 255, np.uint8)]))
    (tmp_path / 'images' / 'f.png').write_bytes(b'not a png')
    with pytest.raises(ValueError) as err:
        build_dataset(dict(type='ImageMaskDataset', data_root=str(tmp_path)))
    msg = str(err.value)
    assert msg.startswith('3 of 6 image-mask pairs')
    for bad in ('masks/b.png', 'masks/e.png', 'images/f.png'):
        assert str(tmp_path / bad) in msg
    assert 'a.png' not in msg
    pairs = [(str(tmp_path / 'images' / f'{s}.png'), str(tmp_path / 'masks' / f'{s}.png'))
             for s in 'acd']
    cache = tmp_path / 'cache'
    assert check_pairs(pairs, cache) == 3  # read
    assert check_pairs(pairs, cache) == 0  # known good
    write_pair(tmp_path, 'c', hw=(40, 50))  # rewritten: read again
    assert check_pairs(pairs, cache) == 1
