import numpy as np
import pytest
import torch

from alignflow.distances import median_bandwidth, pairwise_sq_dists, polynomial_kernel, rbf_kernel

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_pairwise_sq_dists_matches_brute_force(device, dtype):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(5, 3, generator=g, dtype=dtype).to(device)
    y = torch.randn(4, 3, generator=g, dtype=dtype).to(device)
    sq = pairwise_sq_dists(x, y)
    assert sq.shape == (5, 4) and sq.dtype == dtype and sq.device.type == device
    expected = ((x[:, None] - y[None]) ** 2).sum(-1)
    torch.testing.assert_close(sq, expected)
    assert (pairwise_sq_dists(x, x) >= 0).all()


def test_pairwise_sq_dists_far_from_origin():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 16, generator=g) + 1e4
    sq = pairwise_sq_dists(x, x)
    expected = ((x.double()[:, None] - x.double()[None]) ** 2).sum(-1)
    torch.testing.assert_close(sq.double(), expected, rtol=1e-3, atol=1e-3)


def test_pairwise_sq_dists_rejects_mismatched_dims():
    with pytest.raises(ValueError, match='D=3'):
        pairwise_sq_dists(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match='flatten'):
        pairwise_sq_dists(torch.zeros(2, 3, 1), torch.zeros(2, 3))


def test_rbf_kernel_is_mean_over_bandwidths():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 2, generator=g, dtype=torch.float64)
    y = torch.randn(3, 2, generator=g, dtype=torch.float64)
    sq = ((x[:, None] - y[None]) ** 2).sum(-1)
    expected = (torch.exp(-sq / 2) + torch.exp(-sq / 8)) / 2
    torch.testing.assert_close(rbf_kernel(x, y, [1.0, 2.0]), expected)
    torch.testing.assert_close(rbf_kernel(x, y, torch.tensor([1.0, 2.0])), expected)
    torch.testing.assert_close(rbf_kernel(x, y, 2.0), torch.exp(-sq / 8))
    with pytest.raises(ValueError, match='positive'):
        rbf_kernel(x, y, [1.0, 0.0])


def test_median_bandwidth_matches_numpy_and_is_scale_equivariant():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randn(3, 3, generator=g, dtype=torch.float64)
    pooled = torch.cat([x, y]).detach().numpy()
    dists = [np.linalg.norm(pooled[i] - pooled[j]) for i in range(7) for j in range(i + 1, 7)]
    bw = median_bandwidth(x, y)
    assert not bw.requires_grad
    assert bw.item() == pytest.approx(np.median(dists))  # 21 pairs: an odd count
    assert median_bandwidth(3.5 * x, 3.5 * y).item() == pytest.approx(3.5 * bw.item())


def test_median_bandwidth_degenerate_sets():
    same = torch.ones(4, 2)
    assert median_bandwidth(same, same).item() == 1.0
    with pytest.raises(ValueError, match='at least 2'):
        median_bandwidth(torch.ones(1, 2))


def test_polynomial_kernel_defaults_are_kid():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(4, 5, generator=g, dtype=torch.float64)
    y = torch.randn(3, 5, generator=g, dtype=torch.float64)
    torch.testing.assert_close(polynomial_kernel(x, y), (x @ y.T / 5 + 1) ** 3)
    torch.testing.assert_close(
        polynomial_kernel(x, y, degree=2, gamma=0.5, coef0=0.0), (0.5 * x @ y.T) ** 2)
