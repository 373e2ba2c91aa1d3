import cv2
import numpy as np
import pytest
import torch

from alignflow.datasets import (list_images, load_images, read_reference_split,
                                save_reference_split, split_references)


@pytest.fixture
def target_folder(tmp_path):
    images = tmp_path / 'target' / 'images'
    images.mkdir(parents=True)
    for i in range(12):
        cv2.imwrite(str(images / f'case{i:02d}.png'),
                    np.full((20, 24, 3), i * 10, dtype=np.uint8))
    return tmp_path / 'target'


def test_selection_is_reproducible_and_disjoint_from_heldout(target_folder):
    images = list_images(target_folder)
    assert len(images) == 12 and images == sorted(images)
    first = split_references(images, k=5, seed=3)
    again = split_references(images, k=5, seed=3)
    other = split_references(images, k=5, seed=4)
    assert first == again and first.references != other.references
    assert len(first.references) == 5 and len(first.heldout) == 7
    assert not set(first.references) & set(first.heldout)
    assert set(first.references) | set(first.heldout) == set(images)
    everything = split_references(images, k='all')
    assert len(everything.references) == 12 and everything.heldout == ()


def test_list_file_names_the_references(target_folder, tmp_path):
    list_file = tmp_path / 'refs.txt'
    list_file.write_text('case03.png\ncase07\n')
    split = split_references(list_images(target_folder), k=1, list_file=list_file)
    assert [p.name for p in split.references] == ['case03.png', 'case07.png']
    save_reference_split(split, tmp_path / 'out' / 'reference_split.json', dict(k=1))
    assert read_reference_split(tmp_path / 'out' / 'reference_split.json') == split
    assert [p.name for p in tmp_path.joinpath('out').iterdir()] == ['reference_split.json']
    list_file.write_text('nope.png\n')
    with pytest.raises(FileNotFoundError, match='nope.png'):
        split_references(list_images(target_folder), k=1, list_file=list_file)


def test_bad_counts_and_folders_are_refused(target_folder, tmp_path):
    images = list_images(target_folder)
    with pytest.raises(ValueError, match='k=13 .* only 12 images'):
        split_references(images, k=13)
    with pytest.raises(ValueError, match='positive'):
        split_references(images, k=0)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        list_images(tmp_path / 'missing')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no images'):
        list_images(tmp_path / 'empty')


def test_load_images_resizes_with_a_warning_and_scales_to_unit_range(target_folder):
    paths = list_images(target_folder)[:3]
    with pytest.warns(UserWarning, match='3 of 3 reference images were resized'):
        batch = load_images(paths, (16, 16))
    assert batch.shape == (3, 3, 16, 16) and batch.dtype == torch.float32
    assert torch.allclose(batch[0], torch.full_like(batch[0], -1.0))
    corrupt = target_folder / 'images' / 'broken.png'
    corrupt.write_bytes(b'not a png')
    with pytest.raises(OSError, match='broken.png'):
        load_images([corrupt], (16, 16))


def test_fixed_heldout_set_is_shared_across_shot_counts_and_draws(target_folder):
    images = list_images(target_folder)
    splits = [split_references(images, k=k, seed=s, num_heldout=4)
              for k in (1, 5, 'all') for s in (0, 1)]
    assert all(split.heldout == splits[0].heldout for split in splits)
    assert len(splits[0].heldout) == 4
    for split in splits:
        assert not set(split.references) & set(split.heldout)
    assert len(splits[-1].references) == 8
    with pytest.raises(ValueError, match='num_heldout=12'):
        split_references(images, k=1, num_heldout=12)
    with pytest.raises(ValueError, match=r'num_heldout=0 must be between 1 and 11 .*None'):
        split_references(images, k=1, num_heldout=0)
    with pytest.raises(ValueError, match=r'only 8 of the 12 images .*4 are held out'):
        split_references(images, k=9, num_heldout=4)
