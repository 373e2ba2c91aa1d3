import io
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from alignflow.datasets.references import load_images
from alignflow.evaluation import extract_features
from alignflow.evaluation.c2st import C2ST, as_float_images, read_uint8, train_domain_classifier
from alignflow.evaluation.generation_metric import diversity_ratios
from alignflow.evaluation.image_stream import image_size_summary, iter_batches
from alignflow.features.encoders import RandomConvFeatures
from alignflow.utils.progress import LineProgress, progress_bar


def write_images(folder: Path, count: int, sizes=((20, 28), (40, 36)), seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        height, width = sizes[i % len(sizes)]
        paths.append(folder / f'{i:03d}.png')
        cv2.imwrite(str(paths[-1]), rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
    return paths


class DecodeCounter:
    """Counts ``cv2.imread`` calls, and at each network call how many came since the last."""

    def __init__(self, monkeypatch):
        self.decoded, self.since_last_call, self.batch_sizes = 0, [], []
        imread = cv2.imread

        def counting_imread(*args, **kwargs):
            self.decoded += 1
            return imread(*args, **kwargs)

        monkeypatch.setattr(cv2, 'imread', counting_imread)

    def watch(self, network: torch.nn.Module) -> torch.nn.Module:
        def hook(module, inputs):
            self.since_last_call.append(self.decoded)
            self.batch_sizes.append(len(inputs[0]))
            self.decoded = 0

        network.register_forward_pre_hook(hook)
        return network


def test_extraction_never_decodes_more_than_a_batch_before_the_network_sees_it(
        tmp_path, monkeypatch):
    paths = write_images(tmp_path, 23)
    counter = DecodeCounter(monkeypatch)
    network = counter.watch(RandomConvFeatures(seed=0))
    features = extract_features(network, paths, (24, 24), batch_size=5, progress=False)
    assert features.shape == (23, network.feature_dim)
    assert counter.batch_sizes == [5, 5, 5, 5, 3]
    assert counter.since_last_call == [5, 5, 5, 5, 3]


def test_diversity_and_c2st_stream_generated_files(tmp_path, monkeypatch):
    fake = write_images(tmp_path / 'fake', 9, seed=1)
    real = write_images(tmp_path / 'real', 6, seed=2)
    source = write_images(tmp_path / 'source', 6, seed=3)
    monkeypatch.setenv('ALIGNFLOW_CACHE', str(tmp_path / 'cache'))
    size = (16, 16)
    from_tensor = diversity_ratios(load_images(fake, size), real, size, 2)
    counter = DecodeCounter(monkeypatch)
    with monkeypatch.context() as patch:  # every random CNN is watched
        patch.setattr('alignflow.evaluation.generation_metric.RandomConvFeatures',
                      lambda seed: counter.watch(RandomConvFeatures(seed=seed)))
        streamed = diversity_ratios(fake, real, size, 2)
    np.testing.assert_allclose(streamed, from_tensor, rtol=1e-6)
    assert max(counter.since_last_call) <= 9 and counter.batch_sizes == [9, 9]

    test = C2ST(source, real, size, seeds=(0, ), steps=5, cache_dir=False)
    counter.since_last_call, counter.batch_sizes, counter.decoded = [], [], 0
    counter.watch(test.models[0])
    shares = test.target_shares(fake, batch_size=4)
    assert counter.batch_sizes == [4, 4, 1] and counter.since_last_call == [4, 4, 1]
    assert shares == test.target_shares(load_images(fake, size))


def test_stream_reads_what_load_images_reads_and_enlarges_with_cubic(tmp_path):
    paths = write_images(tmp_path, 4)
    for size in ((24, 32), (40, 36), (10, 50)):
        streamed = torch.cat(list(iter_batches(paths, size, 3)))
        assert torch.equal(streamed, load_images(paths, size))
        assert torch.equal(as_float_images(read_uint8(paths, size)), load_images(paths, size))
    cubic = torch.cat(list(iter_batches(paths, (30, 48), 4, enlarge='cubic')))
    area = torch.cat(list(iter_batches(paths, (30, 48), 4)))
    assert not torch.equal(cubic[0], area[0])  # 20x28 grows in both axes: bicubic
    assert torch.equal(cubic[1], area[1])  # 40x36 shrinks in height: area
    with pytest.raises(ValueError, match="enlarge must be one of"):
        next(iter_batches(paths, (8, 8), 2, enlarge='nearest'))


def test_c2st_trains_the_same_on_uint8_as_on_float_images(tmp_path):
    source = write_images(tmp_path / 'source', 6, seed=3)
    target = write_images(tmp_path / 'target', 6, seed=4)
    size = (16, 16)
    _, from_float = train_domain_classifier(load_images(source, size), load_images(target, size),
                                            seed=0, steps=10)
    _, from_uint8 = train_domain_classifier(read_uint8(source, size), read_uint8(target, size),
                                            seed=0, steps=10)
    assert from_float == from_uint8


def test_sizes_come_from_headers_and_an_unreadable_file_is_named(tmp_path):
    paths = write_images(tmp_path, 5)
    assert image_size_summary(paths) == ((20, 28), 2)
    (tmp_path / 'broken.png').write_bytes(b'junk')
    with pytest.raises(OSError, match='broken.png'):
        image_size_summary([*paths, tmp_path / 'broken.png'])
    with pytest.raises(OSError, match='broken.png'):
        next(iter_batches([tmp_path / 'broken.png'], (8, 8), 1))


def test_a_truncated_jpeg_is_refused_though_cv2_decodes_it(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    whole = cv2.imencode('.jpg', noise)[1].tobytes()
    (tmp_path / 'whole.jpg').write_bytes(whole + b'trailer')  # data after the end: kept
    cut = tmp_path / 'cut.jpg'
    cut.write_bytes(whole[:len(whole) * 2 // 3])
    assert cv2.imread(str(cut)) is not None  # libjpeg only warns
    assert image_size_summary([tmp_path / 'whole.jpg']) == ((40, 40), 0)
    with pytest.raises(OSError, match='cut.jpg is a truncated JPEG'):
        image_size_summary([tmp_path / 'whole.jpg', cut])
    with pytest.raises(OSError, match='cut.jpg is a truncated JPEG'):
        next(iter_batches([cut], (8, 8), 1))


def test_progress_is_a_line_per_update_outside_a_terminal():
    out = io.StringIO()
    bar = progress_bar(10, file=out)
    assert isinstance(bar, LineProgress)
    bar.update(4)
    bar.update(6)
    bar.close()
    lines = out.getvalue().splitlines()
    assert '\r' not in out.getvalue() and len(lines) == 2
    assert lines[0].startswith('4/10 images') and lines[1].startswith('10/10 images')
