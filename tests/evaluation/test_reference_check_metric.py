"""ReferenceCheckMetric and its leave-one-out distances."""
import cv2
import numpy as np
import pytest
import torch

from alignflow.distances import mmd2
from alignflow.evaluation import ReferenceCheckMetric, leave_one_out_distances


def test_leave_one_out_distances_equal_the_biased_mmd_of_each_split():
    generator = torch.Generator().manual_seed(0)
    generated = torch.randn(7, 5, generator=generator, dtype=torch.float64)
    references = torch.randn(4, 5, generator=generator, dtype=torch.float64) + 0.5
    sigmas = torch.tensor([0.5, 2.0], dtype=torch.float64)
    floor, to_generated = leave_one_out_distances(generated, references, sigmas)
    for i in range(4):
        rest = torch.cat([references[:i], references[i + 1:]])
        expected = mmd2(references[i:i + 1], rest, bandwidths=sigmas, unbiased=False)
        assert floor[i] == pytest.approx(float(expected))
        per_image = [mmd2(g[None], rest, bandwidths=sigmas, unbiased=False) for g in generated]
        assert to_generated[i] == pytest.approx(float(torch.stack(per_image).mean()))


def test_one_reference_has_no_leave_one_out_distance():
    with pytest.raises(ValueError, match='at least 2 references'):
        leave_one_out_distances(torch.zeros(3, 2), torch.zeros(1, 2), torch.ones(1))


def _frames(folder, tint, count, seed):
    rng = np.random.default_rng(seed)
    folder.mkdir()
    paths = []
    for i in range(count):
        image = np.clip(np.array(tint) + rng.normal(0, 25, (32, 32, 3)), 0, 255)
        paths.append(str(folder / f'{i}.png'))
        cv2.imwrite(paths[-1], image.astype(np.uint8))
    return paths


def _score(metric, paths):
    images = [torch.from_numpy(cv2.imread(p)[..., ::-1].copy()).permute(2, 0, 1) for p in paths]
    metric.process(None, [dict(gen_img=dict(data=image)) for image in images])
    return metric.compute_metrics(metric.results)


def test_images_like_the_references_score_near_the_floor_and_others_far_above(tmp_path):
    references = _frames(tmp_path / 'refs', (60, 90, 160), 5, seed=0)
    alike = _frames(tmp_path / 'alike', (60, 90, 160), 8, seed=1)
    other = _frames(tmp_path / 'other', (160, 160, 40), 8, seed=2)
    near = _score(ReferenceCheckMetric(references, feature_space='randomconv'), alike)
    far = _score(ReferenceCheckMetric(references, feature_space='randomconv'), other)
    assert near['loo_ratio'] < 2 < far['loo_ratio']
    assert near['mmd'] < far['mmd']
    assert 0.5 < near['hf_energy_ratio'] < 2 and 0.5 < near['diversity_ratio'] < 2
