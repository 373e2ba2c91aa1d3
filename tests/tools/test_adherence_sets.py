"""The adherence sets (tools/analysis/adherence_sets.py): the instrument's folders follow the
configs' target split, keep the held-out target pairs unseen, turn the painted pairs, and never
write into the inputs."""
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from alignflow.datasets.adherence_sets import write_adherence_sets
from alignflow.datasets.references import list_images, split_references


def write_pairs(folder: Path, n: int, ext: str = '.png') -> Path:
    rng = np.random.default_rng(sum(map(ord, str(folder))))
    for sub in ('images', 'masks'):
        (folder / sub).mkdir(parents=True)
    for i in range(n):
        cv2.imwrite(str(folder / 'images' / f'{i:03d}{ext}'),
                    rng.integers(0, 255, (8, 6, 3), dtype=np.uint8))
        mask = np.zeros((8, 6), np.uint8)
        mask[:3, :2] = 255  # top-left corner: where it lands tells the orientation
        cv2.imwrite(str(folder / 'masks' / f'{i:03d}.png'), mask)
    return folder


def names(folder: Path) -> set:
    return {p.name for p in (folder / 'images').iterdir()}


def test_sets_follow_the_target_split_and_turn_the_painted_pairs(tmp_path):
    source = write_pairs(tmp_path / 'src', 10, '.jpg')
    target = write_pairs(tmp_path / 'tgt', 12)
    out = tmp_path / 'adh'
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob('*') if p.is_file()}
    write_adherence_sets(source, target, out, num_heldout=6, source_train=7, target_train=2,
                         log=lambda line: None)
    held = [p.name for p in split_references(list_images(target), k=1, num_heldout=6).heldout]
    assert names(out / 'both_train') == ({f'source_{i:03d}.jpg' for i in range(7)} |
                                         {f'target_{name}' for name in held[:2]})
    assert len(list((out / 'both_train' / 'masks').iterdir())) == 9  # same stems, both kept
    assert names(out / 'target_test') == set(held[2:])
    turned = names(out / 'source_test_x4')
    assert len(turned) == 12 and '007.jpg' in turned and '009_r180.png' in turned
    assert len(names(out / 'target_test_x4')) == 16
    rotated = cv2.imread(str(out / 'source_test_x4' / 'masks' / '008_r180.png'), 0)
    assert rotated[-1, -1] == 255 and rotated[0, 0] == 0
    flipped = cv2.imread(str(out / 'source_test_x4' / 'masks' / '008_h.png'), 0)
    assert flipped[0, -1] == 255 and flipped[0, 0] == 0
    assert {p: p.stat().st_mtime_ns for p in before} == before  # inputs untouched
    assert not list(out.glob('.*.tmp-*'))
    with pytest.raises(ValueError, match='other source_train'):  # never mixes two plans
        write_adherence_sets(source, target, out, num_heldout=6, source_train=8,
                             target_train=2)


def test_errors_name_the_fix(tmp_path):
    source = write_pairs(tmp_path / 'src', 4)
    target = write_pairs(tmp_path / 'tgt', 6)
    with pytest.raises(ValueError, match='--source-train 4'):
        write_adherence_sets(source, target, tmp_path / 'o', num_heldout=3, source_train=4)
    with pytest.raises(ValueError, match='inside the input'):
        write_adherence_sets(source, target, source / 'sets', num_heldout=3, source_train=2)
    shutil.copy(source / 'images' / '002.png', target / 'images' / '005.png')
    with pytest.raises(ValueError, match=r'tgt/images/005\.png = .*src/images/002\.png'):
        write_adherence_sets(source, target, tmp_path / 'o', num_heldout=3, source_train=2)
    (target / 'masks' / '001.png').unlink()
    with pytest.raises(FileNotFoundError, match='001.png'):
        write_adherence_sets(source, target, tmp_path / 'o', num_heldout=3, source_train=2)
    faint = np.zeros((8, 6), np.uint8)
    faint[:3, :2] = 100
    cv2.imwrite(str(source / 'masks' / '002.png'), faint)
    with pytest.raises(ValueError, match=r'002.png is not binary: found 2 values \[0, 100\]'):
        write_adherence_sets(source, tmp_path / 'src', tmp_path / 'o2', num_heldout=3,
                             source_train=2)
    assert not (tmp_path / 'o2').exists()
