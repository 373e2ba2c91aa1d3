"""Reading image-mask folders: pairing, order, splits, pipeline, and the real data sets."""
from pathlib import Path

import numpy as np
import pytest
import torch

SHARED_DATA = Path(__file__).resolve().parents[2] / '..' / 'shared' / 'data'


def check_packed(out: dict) -> None:
    assert out['inputs'].shape == (3, 64, 64) and out['inputs'].dtype == torch.uint8
    seg = out['data_samples'].gt_sem_seg.data
    assert seg.shape == (1, 64, 64) and set(seg.unique().tolist()) <= {0, 1}


def test_pairs_by_stem_sorted(tmp_path, write_pair, build_dataset):
    for stem, ext in [('b', '.jpg'), ('a', '.png'), ('c', '.TIF'), ('a10', '.bmp')]:
        write_pair(tmp_path, stem, ext=ext)
    (tmp_path / 'images' / 'notes.txt').write_text('not an image')
    (tmp_path / 'masks' / 'boxes.json').write_text('{}')
    ds = build_dataset(dict(type='ImageMaskDataset', data_root=str(tmp_path), ann_file=None))
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [Path(i['img_path']).name for i in infos] == ['a.png', 'a10.bmp', 'b.jpg', 'c.TIF']
    assert [Path(i['seg_map_path']).name for i in infos] == ['a.png', 'a10.png', 'b.png', 'c.png']
    assert all(Path(i['seg_map_path']).parent == tmp_path / 'masks' for i in infos)
    assert ds.metainfo['classes'] == ('background', 'foreground')


def test_custom_prefixes_and_mask_suffix(tmp_path, write_pair, build_dataset):
    write_pair(tmp_path, 'x')
    (tmp_path / 'images').rename(tmp_path / 'img')
    (tmp_path / 'masks' / 'x.png').rename(tmp_path / 'masks' / 'x_mask.png')
    ds = build_dataset(
        dict(type='ImageMaskDataset', data_root=str(tmp_path), seg_map_suffix='_mask.png',
             data_prefix=dict(img_path='img', seg_map_path='masks')))
    assert Path(ds.get_data_info(0)['seg_map_path']).name == 'x_mask.png'


def test_ann_file_selects_a_split(tmp_path, write_pair, build_dataset):
    for stem in ['a', 'b', 'c']:
        write_pair(tmp_path, stem)
    write_pair(tmp_path, 'unlabelled', with_mask=False)  # outside the split: tolerated
    (tmp_path / 'val.txt').write_text('c\n\na\n')
    ds = build_dataset(dict(type='ImageMaskDataset', data_root=str(tmp_path), ann_file='val.txt'))
    assert [Path(ds.get_data_info(i)['img_path']).stem for i in range(len(ds))] == ['c', 'a']


def test_pipeline_end_to_end(tmp_path, write_pair, build_dataset, seg_pipeline):
    write_pair(tmp_path, 'jpg', hw=(50, 70), ext='.jpg')
    mask01 = np.zeros((30, 20), np.uint8)
    mask01[5:15, 5:10] = 1
    write_pair(tmp_path, 'png01', hw=(30, 20), mask=mask01)  # {0, 1} masks are accepted too
    ds = build_dataset(
        dict(type='PolypDataset', data_root=str(tmp_path), pipeline=seg_pipeline))
    assert ds.metainfo['classes'] == ('background', 'polyp')
    for i in range(len(ds)):
        out = ds[i]
        check_packed(out)
        assert out['data_samples'].gt_sem_seg.data.sum() > 0
    assert out['data_samples'].ori_shape == (30, 20)


def test_retina_dataset_ignores_fov_folder(tmp_path, write_pair, build_dataset):
    for stem in ['21_training', '22_training']:
        write_pair(tmp_path, stem, ext='.png')
    (tmp_path / 'fov').mkdir()
    ds = build_dataset(dict(type='RetinalVesselDataset', data_root=str(tmp_path)))
    assert len(ds) == 2 and ds.metainfo['classes'] == ('background', 'vessel')


@pytest.mark.parametrize('dataset_type, subdir, num_pairs', [
    ('PolypDataset', 'polyp/Kvasir-SEG', 200),
    ('PolypDataset', 'polyp/CVC-ClinicDB', 200),
    ('RetinalVesselDataset', 'retina/DRIVE', 40),
])
def test_real_data(dataset_type, subdir, num_pairs, build_dataset, seg_pipeline):
    root = (SHARED_DATA / subdir).resolve()
    if not root.is_dir():
        reason = f'real data set not found at {root}'
        print(reason)
        pytest.skip(reason)
    ds = build_dataset(dict(type=dataset_type, data_root=str(root), pipeline=seg_pipeline))
    assert len(ds) == num_pairs
    for i in np.linspace(0, len(ds) - 1, 4).astype(int):
        out = ds[int(i)]
        check_packed(out)
        assert out['data_samples'].gt_sem_seg.data.sum() > 0
