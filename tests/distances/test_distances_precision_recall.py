import numpy as np
import pytest
import torch

from alignflow.distances import precision_recall


def _brute(real, fake, k):
    real, fake = real.numpy(), fake.numpy()

    def radii(a):
        d = np.linalg.norm(a[:, None] - a[None], axis=-1)
        np.fill_diagonal(d, np.inf)
        return np.sort(d, axis=1)[:, k - 1]

    d = np.linalg.norm(fake[:, None] - real[None], axis=-1)
    precision = np.mean((d <= radii(real)[None]).any(axis=1))
    recall = np.mean((d.T <= radii(fake)[None]).any(axis=1))
    return precision, recall


def test_identical_sets():
    x = torch.randn(50, 4, generator=torch.Generator().manual_seed(0))
    assert precision_recall(x, x.clone()) == (1.0, 1.0)


def test_disjoint_far_sets():
    g = torch.Generator().manual_seed(1)
    real = torch.randn(40, 4, generator=g)
    fake = torch.randn(30, 4, generator=g) + 100.0
    assert precision_recall(real, fake) == (0.0, 0.0)


def test_fake_covering_part_of_the_support():
    g = torch.Generator().manual_seed(2)
    real = torch.rand(400, 2, generator=g, dtype=torch.float64)
    fake = torch.rand(200, 2, generator=g, dtype=torch.float64) * torch.tensor([0.5, 1.0])
    precision, recall = precision_recall(real, fake)
    assert precision > 0.95
    assert 0.35 < recall < 0.75


@pytest.mark.parametrize('k', [1, 3, 5])
def test_chunked_matches_brute_force(k):
    g = torch.Generator().manual_seed(3)
    real = torch.randn(37, 3, generator=g, dtype=torch.float64)
    fake = torch.randn(23, 3, generator=g, dtype=torch.float64) * 1.3 + 0.4
    expected = _brute(real, fake, k)
    assert precision_recall(real, fake, k=k, batch_size=4) == pytest.approx(expected)
    assert precision_recall(real, fake, k=k) == pytest.approx(expected)


def test_needs_more_than_k_samples():
    with pytest.raises(ValueError, match=r'k=3.*M=3'):
        precision_recall(torch.randn(10, 2), torch.randn(3, 2), k=3)
