"""Procedural toy data: determinism, masks, domain shift, cache and the full pipeline."""
import threading
import time

import cv2
import numpy as np
import pytest
import torch

from alignflow.datasets import (ToyDomain, render_toy_pair, toy_cache_dir, toy_sample_seed,
                                write_toy_dataset)
from alignflow.datasets import toy as toy_module


def test_render_is_deterministic_and_seed_dependent():
    img, mask = render_toy_pair(3, 64, 'source')
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    assert mask.shape == (64, 64) and mask.dtype == np.uint8
    img2, mask2 = render_toy_pair(3, 64, 'source')
    assert np.array_equal(img, img2) and np.array_equal(mask, mask2)
    img3, mask3 = render_toy_pair(4, 64, 'source')
    assert not np.array_equal(img, img3) and not np.array_equal(mask, mask3)
    wide, wide_mask = render_toy_pair(3, (48, 80), 'target')
    assert wide.shape == (48, 80, 3) and wide_mask.shape == (48, 80)


def test_masks_are_binary_and_mark_the_visible_lesions():
    nonempty, redder = 0, 0
    for seed in range(20):
        img, mask = render_toy_pair(seed, 64, 'source')
        assert set(np.unique(mask).tolist()) <= {0, 255}
        if mask.any():
            nonempty += 1
            red = img[..., 2].astype(float) / (img[..., 1].astype(float) + 1)
            redder += red[mask > 0].mean() > red[mask == 0].mean()
    assert nonempty >= 18
    assert redder >= 0.9 * nonempty  # lesions are redder than the mucosa around them


def test_source_and_target_domains_differ_clearly():

    def stats(domain):
        imgs = [render_toy_pair(seed, 64, domain)[0] for seed in range(8)]
        hsv = [cv2.cvtColor(im, cv2.COLOR_BGR2HSV) for im in imgs]
        lit = [h[..., 2] > 60 for h in hsv]  # ignore the black frame and the lumen
        hue = np.mean([h[..., 0][m].mean() for h, m in zip(hsv, lit)])
        green_red = np.mean([(im[..., 1][m] / (im[..., 2][m] + 1.)).mean()
                             for im, m in zip(imgs, lit)])
        sharpness = np.mean([cv2.Laplacian(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var()
                             for im in imgs])
        brightness = np.mean([im.mean() for im in imgs])
        return hue, green_red, sharpness, brightness

    src_hue, src_gr, src_sharp, src_bright = stats('source')
    tgt_hue, tgt_gr, tgt_sharp, tgt_bright = stats('target')
    assert tgt_gr > src_gr + 0.1  # target is more yellow/orange
    assert tgt_hue > src_hue + 5
    assert tgt_bright < src_bright - 10  # darker vignette, wider black frame
    assert tgt_sharp < src_sharp  # target optics are blurrier


def test_toy_domain_build():
    assert ToyDomain.build('target') == ToyDomain.target() != ToyDomain.source()
    custom = ToyDomain.build(dict(blur_sigma=2.0, tissue_color=[90, 100, 200]))
    assert custom.blur_sigma == 2.0 and custom.tissue_color == (90, 100, 200)
    with pytest.raises(ValueError, match='not_a_field'):
        ToyDomain.build(dict(not_a_field=1))
    with pytest.raises(ValueError, match="'hospital'"):
        ToyDomain.build('hospital')


def test_render_is_cheap():
    render_toy_pair(0, 64)
    start = time.perf_counter()
    for seed in range(10):
        render_toy_pair(seed, 64, 'target')
    assert (time.perf_counter() - start) / 10 < 0.05  # ~2 ms in practice, 20 ms budget


def test_sample_seeds_of_different_dataset_seeds_do_not_overlap():
    first = {toy_sample_seed(0, i) for i in range(1000)}
    assert first.isdisjoint(toy_sample_seed(1, i) for i in range(1000))


def test_toy_dataset_renders_once_and_reuses_the_cache(tmp_path, build_dataset, monkeypatch):
    root = tmp_path / 'toy'
    cfg = dict(type='ToyPolypDataset', num_samples=5, img_size=32, seed=2, data_root=str(root))
    ds = build_dataset(cfg)
    assert len(ds) == 5 and ds.metainfo['classes'] == ('background', 'polyp')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['toy']  # no temporary folder left
    files = sorted((root / 'images').iterdir()) + sorted((root / 'masks').iterdir())
    assert len(files) == 10
    mtimes = [f.stat().st_mtime_ns for f in files]
    img = cv2.imread(str(root / 'images' / '00001.png'))
    assert np.array_equal(img, render_toy_pair(toy_sample_seed(2, 1), 32, 'source')[0])

    def no_render(*args, **kwargs):
        raise AssertionError('the cache should have been reused')

    monkeypatch.setattr(toy_module, 'render_toy_pair', no_render)
    assert len(build_dataset(cfg)) == 5
    assert [f.stat().st_mtime_ns for f in files] == mtimes


def test_default_cache_folder_depends_on_every_parameter(tmp_path, build_dataset, monkeypatch):
    monkeypatch.setenv('ALIGNFLOW_CACHE', str(tmp_path))
    ds = build_dataset(dict(type='ToyPolypDataset', num_samples=2, img_size=16, domain='target'))
    folder = toy_cache_dir(2, 16, 'target', 0)
    assert folder.parent == tmp_path / 'toy' and folder.name.startswith('target_16x16px_n2_seed0')
    assert ds.data_root == str(folder) and len(ds) == 2
    others = {toy_cache_dir(3, 16, 'target', 0), toy_cache_dir(2, 32, 'target', 0),
              toy_cache_dir(2, 16, 'source', 0), toy_cache_dir(2, 16, 'target', 1),
              toy_cache_dir(2, 16, dict(blur_sigma=0.0), 0)}
    assert folder not in others and len(others) == 5


def test_concurrent_writers_leave_one_complete_folder(tmp_path, monkeypatch):
    out = tmp_path / 'toy'
    barrier = threading.Barrier(2)

    def render_in_step(seed, size, domain):  # both writers are past the existence check
        if seed == 0:
            barrier.wait(timeout=10)
        return render_toy_pair(seed, size, domain)

    monkeypatch.setattr(toy_module, 'render_toy_pair', render_in_step)
    errors = []

    def write():
        try:
            write_toy_dataset(out, 3, 16)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ['toy']
    assert len(list((out / 'images').iterdir())) == len(list((out / 'masks').iterdir())) == 3


def test_toy_dataset_through_the_pipeline(tmp_path, build_dataset, seg_pipeline):
    ds = build_dataset(
        dict(type='ToyPolypDataset', num_samples=3, img_size=96, domain='target',
             data_root=str(tmp_path / 'toy'), pipeline=seg_pipeline))
    for i in range(len(ds)):
        out = ds[i]
        assert out['inputs'].shape == (3, 64, 64) and out['inputs'].dtype == torch.uint8
        seg = out['data_samples'].gt_sem_seg.data
        assert seg.shape == (1, 64, 64)
        assert set(seg.unique().tolist()) <= {0, 1} and seg.sum() > 0
        assert out['data_samples'].ori_shape == (96, 96)
