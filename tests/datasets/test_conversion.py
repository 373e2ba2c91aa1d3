"""Dataset converters on small raw layouts written here (the odd ones included)."""
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from alignflow.datasets import PolypDataset

REPO = Path(__file__).resolve().parents[2]


def photo(seed, hw=(30, 40)):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (*hw, 3), dtype=np.uint8)


def blob_mask(hw=(30, 40), grey_edge=False):
    mask = np.zeros(hw, np.uint8)
    mask[8:20, 10:25] = 255
    if grey_edge:
        mask[7, 10:25] = 100  # anti-aliased edge, below the threshold
        mask[20, 10:25] = 200  # above it
    return mask


def convert(name, raw, out, *extra):
    return subprocess.run([sys.executable, f'tools/dataset_converters/{name}.py', str(raw),
                           '-o', str(out), *map(str, extra)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_kvasir_jpeg_masks_are_binarised_and_counted(tmp_path):
    raw = tmp_path / 'Kvasir-SEG'
    (raw / 'images').mkdir(parents=True)
    (raw / 'masks').mkdir()
    for i in range(5):
        cv2.imwrite(str(raw / 'images' / f'c{i}.jpg'), photo(i))
        cv2.imwrite(str(raw / 'masks' / f'c{i}.png' if i else raw / 'masks' / 'c0.jpg'),
                    blob_mask(grey_edge=i < 2))
    before = sorted(p.name for p in raw.rglob('*'))
    result = convert('kvasir', raw, tmp_path / 'out', '--val-fraction', 0.4)
    assert result.returncode == 0, result.stderr[-2000:]
    assert '2 masks had grey values' in result.stdout
    out = tmp_path / 'out'
    assert sorted(p.name for p in raw.rglob('*')) == before  # the raw folder is only read
    assert (out / 'images' / 'c0.jpg').read_bytes() == (raw / 'images' / 'c0.jpg').read_bytes()
    mask = cv2.imread(str(out / 'masks' / 'c1.png'), cv2.IMREAD_UNCHANGED)
    assert set(np.unique(mask)) == {0, 255} and mask[20, 12] == 255 and mask[7, 12] == 0
    record = json.loads((out / 'conversion.json').read_text())
    assert record['pairs'] == 5 and record['split'] == dict(all=5, train=3, val=2)
    again = convert('kvasir', raw, tmp_path / 'again', '--val-fraction', 0.4)
    assert again.returncode == 0
    assert (tmp_path / 'again' / 'splits' / 'val.txt').read_text() == \
        (out / 'splits' / 'val.txt').read_text()  # reproducible
    assert len(PolypDataset(data_root=str(out), pipeline=[])) == 5
    refused = convert('kvasir', raw, out)
    assert refused.returncode != 0 and '--overwrite' in refused.stderr
    inside = convert('kvasir', raw, raw / 'converted')
    assert inside.returncode != 0 and 'only reads' in inside.stderr


def test_clinicdb_tiff_with_swapped_folders_is_detected(tmp_path):
    raw = tmp_path / 'CVC-ClinicDB'
    (raw / 'Original').mkdir(parents=True)
    (raw / 'Ground Truth').mkdir()
    for i in range(1, 4):  # this copy has the masks in Original/ and the images in Ground Truth/
        cv2.imwrite(str(raw / 'Original' / f'{i}.tif'), blob_mask())
        cv2.imwrite(str(raw / 'Ground Truth' / f'{i}.tif'), photo(i))
    result = convert('clinicdb', raw, tmp_path / 'out')
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'swapped back' in result.stdout
    image = cv2.imread(str(tmp_path / 'out' / 'images' / '1.png'))
    assert np.array_equal(image, photo(1))  # lossless PNG of the TIFF
    assert json.loads((tmp_path / 'out' / 'conversion.json').read_text())['swapped_folders']


def test_etis_mask_names_and_mismatched_sizes(tmp_path):
    raw = tmp_path / 'ETIS'
    (raw / 'ETIS-LaribPolypDB').mkdir(parents=True)
    (raw / 'GroundTruth').mkdir()
    for i in (1, 2):
        cv2.imwrite(str(raw / 'ETIS-LaribPolypDB' / f'{i}.tif'), photo(i))
        cv2.imwrite(str(raw / 'GroundTruth' / f'p{i}.tif'), blob_mask())
    assert convert('etis', raw, tmp_path / 'out').returncode == 0
    assert sorted(p.name for p in (tmp_path / 'out' / 'masks').iterdir()) == ['1.png', '2.png']
    cv2.imwrite(str(raw / 'GroundTruth' / 'p2.tif'), blob_mask(hw=(10, 10)))
    bad = convert('etis', raw, tmp_path / 'bad')
    assert bad.returncode != 0 and 'p2.tif is (10, 10) but 2.tif is (30, 40)' in bad.stderr
    assert not (tmp_path / 'bad').exists() and not list(tmp_path.glob('.bad*'))
    (raw / 'ETIS-LaribPolypDB' / '3.tif').write_bytes(cv2.imencode('.tif', photo(3))[1])
    unpaired = convert('etis', raw, tmp_path / 'unpaired')
    assert unpaired.returncode != 0 and '3.tif' in unpaired.stderr


@pytest.mark.parametrize('name', ['colondb', 'cvc300'])
def test_prandet_style_test_sets(tmp_path, name):
    raw = tmp_path / name
    (raw / 'images').mkdir(parents=True)
    (raw / 'masks').mkdir()
    for i in range(3):
        cv2.imwrite(str(raw / 'images' / f'{i}.png'), photo(i))
        cv2.imwrite(str(raw / 'masks' / f'{i}.png'), blob_mask())
    result = convert(name, raw, tmp_path / 'out')
    assert result.returncode == 0, result.stderr[-2000:]
    assert '3 pairs written' in result.stdout
