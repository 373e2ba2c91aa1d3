"""Dataset converters on small raw layouts written here (the odd ones included)."""
import contextlib
import io
import json
import runpy
import subprocess
import sys
from unittest import mock
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
    """Run ``tools/dataset_converters/<name>.py`` as its command line does, in this process
    (a subprocess per call would spend most of the test importing torch)."""
    tool = REPO / 'tools' / 'dataset_converters' / f'{name}.py'
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = [str(tool), str(raw), '-o', str(out), *map(str, extra)]
    returncode = 0
    with mock.patch.object(sys, 'argv', argv), contextlib.redirect_stdout(stdout), \
            contextlib.redirect_stderr(stderr):
        try:
            runpy.run_path(str(tool), run_name='__main__')
        except SystemExit as exit_:
            returncode = exit_.code if isinstance(exit_.code, int) else 1
            if not isinstance(exit_.code, int):
                stderr.write(str(exit_.code))
    return subprocess.CompletedProcess(argv, returncode, stdout.getvalue(), stderr.getvalue())


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
    replaced = convert('kvasir', raw, out, '--overwrite')  # a converter's own output
    assert replaced.returncode == 0, replaced.stderr[-2000:]
    (out / 'my_notes.txt').write_text('mine')
    kept = convert('kvasir', raw, out, '--overwrite')
    assert kept.returncode != 0 and 'holds what no converter wrote (my_notes.txt)' in kept.stderr
    assert (out / 'my_notes.txt').read_text() == 'mine'
    unrelated = tmp_path / 'unrelated'
    unrelated.mkdir()
    (unrelated / 'a.txt').write_text('mine')
    refused = convert('kvasir', raw, unrelated, '--overwrite')
    assert refused.returncode != 0 and (unrelated / 'a.txt').read_text() == 'mine'


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


PRANET_TESTS = ('Kvasir', 'CVC-ClinicDB', 'CVC-ColonDB', 'ETIS-LaribPolypDB', 'CVC-300')


def write_pairs(images, masks, stems, image_ext='.png', seed=0):
    images.mkdir(parents=True, exist_ok=True)
    masks.mkdir(parents=True, exist_ok=True)
    for i, stem in enumerate(stems):
        cv2.imwrite(str(images / f'{stem}{image_ext}'), photo(seed + i))
        cv2.imwrite(str(masks / f'{stem}.png'), blob_mask(grey_edge=i == 0))


def test_pranet_split_keeps_its_six_sets_and_reports_short_ones(tmp_path):
    raw = tmp_path / 'pranet'
    write_pairs(raw / 'TrainDataset' / 'image', raw / 'TrainDataset' / 'mask', ['1', '2', '3'])
    for n, name in enumerate(PRANET_TESTS):  # stems repeat across sets, as in the download
        write_pairs(raw / 'TestDataset' / name / 'images', raw / 'TestDataset' / name / 'masks',
                    ['1', '2'], seed=10 * n)
    out = tmp_path / 'polyp'
    result = convert('pranet', raw, out, '--val-fraction', 1 / 3)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'TrainDataset holds 3 images; the published split has 1450' in result.stdout
    assert 'TestDataset/CVC-300 holds 2 images; the published split has 60' in result.stdout
    train = out / 'TrainDataset'
    assert sorted(p.name for p in (train / 'splits').iterdir()) == [
        'all.txt', 'train.txt', 'val.txt']
    for name in PRANET_TESTS:
        assert sorted(p.name for p in (out / 'TestDataset' / name / 'masks').iterdir()) == \
            ['1.png', '2.png']
        assert len(PolypDataset(data_root=str(out / 'TestDataset' / name), pipeline=[])) == 2
    etis = cv2.imread(str(out / 'TestDataset' / 'ETIS-LaribPolypDB' / 'images' / '1.png'))
    assert np.array_equal(etis, photo(30))  # each set keeps its own files
    record = json.loads((out / 'conversion.json').read_text())
    assert record['TrainDataset']['split'] == dict(all=3, train=2, val=1)
    assert record['TestDataset/CVC-300']['notes'] == [
        'TestDataset/CVC-300 holds 2 images; the published split has 60']
    assert not list(tmp_path.glob('.polyp*'))

    (raw / 'TestDataset' / 'CVC-300' / 'masks' / '2.png').unlink()
    bad = convert('pranet', raw, tmp_path / 'bad')
    assert bad.returncode != 0 and '2.png' in bad.stderr
    assert not (tmp_path / 'bad').exists() and not list(tmp_path.glob('.bad*'))
    import shutil
    shutil.rmtree(raw / 'TestDataset' / 'ETIS-LaribPolypDB')
    missing = convert('pranet', raw, tmp_path / 'missing')
    assert missing.returncode != 0 and 'lacks ETIS-LaribPolypDB' in missing.stderr


def write_gif(path, array):
    from PIL import Image
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def test_drive_official_split_labels_and_field_of_view(tmp_path):
    raw = tmp_path / 'DRIVE'
    for split, numbers in (('training', (21, 22)), ('test', (1, ))):
        for n in numbers:
            stem = f'{n:02d}_{split}'
            (raw / split / 'images').mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(raw / split / 'images' / f'{stem}.tif'), photo(n))
            write_gif(raw / split / '1st_manual' / f'{n:02d}_manual1.gif', blob_mask())
            write_gif(raw / split / 'mask' / f'{stem}_mask.gif', np.full((30, 40), 255, np.uint8))
    result = convert('drive', raw, tmp_path / 'out')
    assert result.returncode == 0, result.stderr[-2000:]
    out = tmp_path / 'out'
    assert (out / 'splits' / 'train.txt').read_text() == '21_training\n22_training\n'
    assert (out / 'splits' / 'val.txt').read_text() == '01_test\n'
    assert np.array_equal(cv2.imread(str(out / 'masks' / '01_test.png'), 0), blob_mask())
    assert sorted(p.name for p in (out / 'fov').iterdir()) == \
        ['01_test.png', '21_training.png', '22_training.png']
    assert np.array_equal(cv2.imread(str(out / 'images' / '21_training.png')), photo(21))
    refused = convert('drive', raw, tmp_path / 'x', '--val-fraction', 0.5)
    assert refused.returncode != 0 and '--val-fraction' in refused.stderr  # official split

    import shutil
    shutil.rmtree(raw / 'test' / '1st_manual')  # the challenge release
    result = convert('drive', raw, tmp_path / 'challenge')
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'has no 1st_manual/ labels' in result.stdout
    assert (tmp_path / 'challenge' / 'splits' / 'val.txt').read_text() == ''
    notes = json.loads((tmp_path / 'challenge' / 'conversion.json').read_text())['notes']
    assert len(notes) == 1 and 'the challenge release withholds them' in notes[0]
    wrong = convert('drive', tmp_path / 'out', tmp_path / 'wrong')
    assert wrong.returncode != 0 and 'no training folder' in wrong.stderr


def test_chase_db1_first_observer_and_children_split(tmp_path):
    raw = tmp_path / 'CHASEDB1'
    raw.mkdir()
    for child in (1, 11):
        for eye in 'LR':
            stem = f'Image_{child:02d}{eye}'
            cv2.imwrite(str(raw / f'{stem}.jpg'), photo(child))
            cv2.imwrite(str(raw / f'{stem}_1stHO.png'), blob_mask())
            cv2.imwrite(str(raw / f'{stem}_2ndHO.png'), np.zeros((30, 40), np.uint8))
    result = convert('chase_db1', raw, tmp_path / 'out')
    assert result.returncode == 0, result.stderr[-2000:]
    out = tmp_path / 'out'
    assert (out / 'splits' / 'train.txt').read_text() == 'Image_01L\nImage_01R\n'
    assert (out / 'splits' / 'val.txt').read_text() == 'Image_11L\nImage_11R\n'
    assert np.array_equal(cv2.imread(str(out / 'masks' / 'Image_11R.png'), 0), blob_mask())
    assert len(list((out / 'images').iterdir())) == 4
    cv2.imwrite(str(raw / 'scan.jpg'), photo(0))
    odd = convert('chase_db1', raw, tmp_path / 'odd')
    assert odd.returncode != 0 and 'unexpected names scan.jpg' in odd.stderr


def test_stare_gzipped_ppm_and_label_choice(tmp_path):
    import gzip
    raw = tmp_path / 'STARE'
    for folder in ('stare-images', 'labels-ah', 'labels-vk'):
        (raw / folder).mkdir(parents=True)
    vk = blob_mask()
    vk[:, :5] = 255
    for i in range(1, 5):
        stem = f'im{i:04d}'
        (raw / 'stare-images' / f'{stem}.ppm.gz').write_bytes(
            gzip.compress(cv2.imencode('.ppm', photo(i))[1].tobytes()))
        (raw / 'labels-ah' / f'{stem}.ah.ppm.gz').write_bytes(
            gzip.compress(cv2.imencode('.pgm', blob_mask())[1].tobytes()))
        cv2.imwrite(str(raw / 'labels-vk' / f'{stem}.vk.ppm'), cv2.merge([vk] * 3))
    result = convert('stare', raw, tmp_path / 'out')
    assert result.returncode == 0, result.stderr[-2000:]
    out = tmp_path / 'out'
    assert json.loads((out / 'conversion.json').read_text())['split'] == \
        dict(all=4, train=2, val=2)  # the default --val-fraction 0.5
    assert np.array_equal(cv2.imread(str(out / 'images' / 'im0003.png')), photo(3))
    assert np.array_equal(cv2.imread(str(out / 'masks' / 'im0003.png'), 0), blob_mask())
    result = convert('stare', raw, tmp_path / 'vk', '--labels', 'vk')
    assert result.returncode == 0, result.stderr[-2000:]
    assert np.array_equal(cv2.imread(str(tmp_path / 'vk' / 'masks' / 'im0001.png'), 0), vk)


def disc_cup_mask(grey_edge=False):
    mask = np.full((30, 40), 255, np.uint8)
    mask[5:25, 10:30] = 128  # optic disc
    mask[10:20, 15:25] = 0  # optic cup
    if grey_edge:
        mask[4, 10:30] = 140  # resampled edge: nearest level 128
    return mask


def write_refuge(raw):
    layout = [('REFUGE-Training400/Training400/Glaucoma/g0001',
               'Annotation-Training400/Disc_Cup_Masks/Glaucoma/g0001'),
              ('REFUGE-Training400/Training400/Non-Glaucoma/n0001',
               'Annotation-Training400/Disc_Cup_Masks/Non-Glaucoma/n0001'),
              ('REFUGE-Validation400/REFUGE-Validation400/V0001',
               'REFUGE-Validation400-GT/Disc_Cup_Masks/V0001'),
              ('REFUGE-Test400/Test400/T0001', 'REFUGE-Test-GT/Disc_Cup_Masks/G/T0001')]
    for i, (image, mask) in enumerate(layout):
        (raw / image).parent.mkdir(parents=True, exist_ok=True)
        (raw / mask).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(raw / f'{image}.jpg'), photo(i))
        cv2.imwrite(str(raw / f'{mask}.bmp'), disc_cup_mask(grey_edge=i == 0))


def test_refuge_disc_cup_masks_become_class_indices(tmp_path):
    from alignflow.datasets import FundusDiscCupDataset
    raw = tmp_path / 'REFUGE'
    write_refuge(raw)
    result = convert('refuge', raw, tmp_path / 'out')
    assert result.returncode == 0, result.stderr[-2000:]
    assert '1 masks had grey values' in result.stdout
    out = tmp_path / 'out'
    for split, stems in (('train', 'g0001\nn0001\n'), ('val', 'V0001\n'), ('test', 'T0001\n')):
        assert (out / 'splits' / f'{split}.txt').read_text() == stems
    mask = cv2.imread(str(out / 'masks' / 'g0001.png'), cv2.IMREAD_UNCHANGED)
    assert mask[0, 0] == 0 and mask[15, 20] == 1 and mask[6, 12] == 2 and mask[4, 12] == 2
    dataset = FundusDiscCupDataset(data_root=str(out), ann_file='splits/train.txt',
                                   pipeline=[dict(type='LoadAnnotations')])
    assert len(dataset) == 2 and set(np.unique(dataset[0]['gt_seg_map'])) == {0, 1, 2}
    cv2.imwrite(str(out / 'masks' / 'n0001.png'), np.full((30, 40), 3, np.uint8))
    with pytest.raises(ValueError, match=r'n0001.png has values \[3\]; expected class indices '
                       r'0..2'):
        FundusDiscCupDataset(data_root=str(out), ann_file='splits/train.txt', pipeline=[])
    none = convert('refuge', tmp_path / 'out' / 'splits', tmp_path / 'none')
    assert none.returncode != 0 and 'expected fundus images' in none.stderr


def test_refuge_config_trains_and_tests_three_classes(tmp_path):
    """The converted REFUGE layout feeds a segmentation config end to end (2 iterations)."""
    from alignflow.apis import build_runner, load_config
    raw = tmp_path / 'REFUGE'
    write_refuge(raw)
    assert convert('refuge', raw, tmp_path / 'data').returncode == 0
    cfg = load_config(str(REPO / 'configs/segmentation/segformer_mit-b0_refuge.py'),
                      work_dir=str(tmp_path / 'work'))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(tmp_path / 'data')
        cfg[loader].dataset.pipeline = [dict(step, scale=(32, 32)) if step['type'] == 'Resize'
                                        else step for step in cfg[loader].dataset.pipeline]
        cfg[loader].update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.model.data_preprocessor.size = (32, 32)
    cfg.train_cfg.update(max_iters=2, val_interval=2)
    cfg.default_hooks.checkpoint.interval = 2
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.visualizer.name = 'visualizer_refuge'
    runner = build_runner(cfg)
    runner.train()
    metrics = runner.test()
    assert {'mDice', 'mIoU'} <= set(metrics)
    assert runner.test_evaluator.metrics[0].dataset_meta['classes'] == \
        ('background', 'optic_cup', 'optic_disc')


def test_a_converter_runs_as_a_script(tmp_path):
    """The other tests call the converters in-process; this one as a user does."""
    raw = tmp_path / 'Kvasir-SEG'
    write_pairs(raw / 'images', raw / 'masks', ['a', 'b'], image_ext='.jpg')
    result = subprocess.run([sys.executable, 'tools/dataset_converters/kvasir.py', str(raw),
                             '-o', str(tmp_path / 'out')], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert '2 pairs written' in result.stdout
    missing = subprocess.run([sys.executable, 'tools/dataset_converters/kvasir.py',
                              str(tmp_path / 'nope'), '-o', str(tmp_path / 'x')], cwd=REPO,
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode != 0 and 'does not exist' in missing.stderr


def write_kvasir(raw, masks):
    (raw / 'images').mkdir(parents=True)
    (raw / 'masks').mkdir()
    for i, mask in enumerate(masks):
        cv2.imwrite(str(raw / 'images' / f'c{i}.jpg'), photo(i))
        cv2.imwrite(str(raw / 'masks' / f'c{i}.png'), mask)


def red_mask():
    mask = np.zeros((30, 40, 3), np.uint8)
    mask[8:20, 10:25] = (0, 0, 255)  # BGR: reads as grey 76, below the threshold
    return mask


def test_colour_masks_are_refused_unless_mapped(tmp_path):
    raw = tmp_path / 'Kvasir-SEG'
    write_kvasir(raw, [red_mask()] * 3)
    result = convert('kvasir', raw, tmp_path / 'out')
    assert result.returncode != 0 and not (tmp_path / 'out').exists()
    assert '3 pair(s) cannot be converted' in result.stderr
    assert str(raw / 'masks' / 'c0.png') in result.stderr and 'channels differ' in result.stderr
    mapped = convert('kvasir', raw, tmp_path / 'out', '--mask-colors', '0,0,0=0', '255,0,0=1')
    assert mapped.returncode == 0, mapped.stderr[-2000:]
    mask = cv2.imread(str(tmp_path / 'out' / 'masks' / 'c0.png'), cv2.IMREAD_UNCHANGED)
    assert mask[10, 12] == 255 and mask[0, 0] == 0


def test_faint_masks_and_photos_are_refused_not_emptied(tmp_path):
    faint = blob_mask()
    faint[faint == 255] = 100
    raw = tmp_path / 'faint'
    write_kvasir(raw, [faint] * 2)
    result = convert('kvasir', raw, tmp_path / 'out')
    assert result.returncode != 0 and '--threshold 50' in result.stderr
    assert convert('kvasir', raw, tmp_path / 'out', '--threshold', 50).returncode == 0
    mask = cv2.imread(str(tmp_path / 'out' / 'masks' / 'c0.png'), cv2.IMREAD_UNCHANGED)
    assert mask[10, 12] == 255
    photos = tmp_path / 'photos'
    write_kvasir(photos, [photo(9 + i)[..., 0] for i in range(2)])
    result = convert('kvasir', photos, tmp_path / 'out2')
    assert result.returncode != 0 and 'photograph' in result.stderr


def test_kvasir_refuses_another_datasets_layout(tmp_path):
    """A converted DRIVE (images/, masks/, fov/, splits/) was converted as Kvasir-SEG, its
    field-of-view masks silently dropped."""
    raw = tmp_path / 'DRIVE'
    write_kvasir(raw, [blob_mask()] * 2)
    (raw / 'fov').mkdir()
    cv2.imwrite(str(raw / 'fov' / 'c0.png'), blob_mask())
    result = convert('kvasir', raw, tmp_path / 'out')
    assert result.returncode != 0 and not (tmp_path / 'out').exists()
    assert f'{raw} holds fov, which Kvasir-SEG' in result.stderr and 'DRIVE' in result.stderr
    (raw / 'fov' / 'c0.png').unlink()
    (raw / 'fov').rmdir()
    (raw / 'kavsir_bboxes.json').write_text('{}')
    assert convert('kvasir', raw, tmp_path / 'out').returncode == 0


def test_an_unwritable_output_is_named(tmp_path, monkeypatch):
    raw = tmp_path / 'Kvasir-SEG'
    write_kvasir(raw, [blob_mask()] * 2)
    real_mkdir = Path.mkdir

    def read_only(path, *args, **kwargs):
        if 'locked' in str(path):
            raise PermissionError(13, 'Permission denied', str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(Path, 'mkdir', read_only)
    result = convert('kvasir', raw, tmp_path / 'locked' / 'out')
    assert result.returncode != 0 and 'Traceback' not in result.stderr
    assert f'Kvasir-SEG: permission denied for {tmp_path / "locked"}' in result.stderr
