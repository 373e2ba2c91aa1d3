import numpy as np
import pytest
import torch

from alignflow.distances import (DEFAULT_BANDWIDTH_FACTORS, kid, median_bandwidth, mmd2,
                                 polynomial_kernel)

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


def _brute_mmd2(x, y, k, unbiased):
    x, y = x.detach().numpy(), y.detach().numpy()
    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if not unbiased or i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if not unbiased or i != j)
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m))
    if unbiased:
        return xx / (n * (n - 1)) + yy / (m * (m - 1)) - 2 * xy / (n * m)
    return xx / n**2 + yy / m**2 - 2 * xy / (n * m)


def _rbf(sigmas):
    return lambda a, b: np.mean([np.exp(-np.sum((a - b)**2) / (2 * s**2)) for s in sigmas])


def _poly(dim):
    return lambda a, b: (a @ b / dim + 1) ** 3


@pytest.fixture
def small():
    g = torch.Generator().manual_seed(0)
    return (torch.randn(4, 3, generator=g, dtype=torch.float64),
            torch.randn(3, 3, generator=g, dtype=torch.float64) + 0.3)


@pytest.mark.parametrize('unbiased', [True, False])
def test_mmd2_matches_double_loop(small, unbiased):
    x, y = small
    sigmas = [0.5, 1.0, 2.0]
    assert mmd2(x, y, bandwidths=sigmas, unbiased=unbiased).item() == pytest.approx(
        _brute_mmd2(x, y, _rbf(sigmas), unbiased), rel=1e-10)
    assert mmd2(x, y, kernel='polynomial', unbiased=unbiased).item() == pytest.approx(
        _brute_mmd2(x, y, _poly(3), unbiased), rel=1e-10)
    median = median_bandwidth(x, y).item()
    assert mmd2(x, y, unbiased=unbiased).item() == pytest.approx(
        _brute_mmd2(x, y, _rbf([median * f for f in DEFAULT_BANDWIDTH_FACTORS]), unbiased),
        rel=1e-10)
    assert mmd2(x, y, bandwidths='median', unbiased=unbiased).item() == pytest.approx(
        _brute_mmd2(x, y, _rbf([median]), unbiased), rel=1e-10)
    assert mmd2(x, y, kernel=polynomial_kernel, unbiased=unbiased, degree=2).item() == \
        pytest.approx(_brute_mmd2(x, y, lambda a, b: (a @ b / 3 + 1)**2, unbiased), rel=1e-10)


def test_unbiased_mmd2_is_zero_in_expectation():
    g = torch.Generator().manual_seed(1)
    same, shifted = [], []
    for _ in range(20):
        x = torch.randn(32, 8, generator=g, dtype=torch.float64)
        y = torch.randn(32, 8, generator=g, dtype=torch.float64)
        same.append(mmd2(x, y).item())
        shifted.append(mmd2(x, y + 1.0).item())
    assert min(same) < 0  # unbiased: fluctuates around 0
    assert abs(np.mean(same)) < 0.05 * np.mean(shifted)
    biased = mmd2(x, y, unbiased=False).item()
    assert biased > mmd2(x, y).item()


@pytest.mark.parametrize('kernel', ['rbf', 'polynomial'])
def test_mmd2_grows_with_mean_shift(kernel):
    g = torch.Generator().manual_seed(2)
    x = torch.randn(64, 4, generator=g, dtype=torch.float64)
    y = torch.randn(64, 4, generator=g, dtype=torch.float64)
    values = [mmd2(x, y + s, kernel=kernel).item() for s in (0.0, 0.25, 0.5, 1.0, 2.0)]
    assert all(a < b for a, b in zip(values, values[1:])), values


def test_rbf_mmd2_is_scale_invariant_with_median_bandwidth():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(16, 5, generator=g, dtype=torch.float64)
    y = torch.randn(12, 5, generator=g, dtype=torch.float64) + 0.5
    for bandwidths in (None, 'median'):
        for unbiased in (True, False):
            ref = mmd2(x, y, bandwidths=bandwidths, unbiased=unbiased).item()
            assert mmd2(100 * x, 100 * y, bandwidths=bandwidths, unbiased=unbiased).item() == \
                pytest.approx(ref, rel=1e-9)


def test_mmd2_float32_large_features():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(16, 64, generator=g)
    y = torch.randn(12, 64, generator=g) + 0.5
    ref = mmd2(x.double(), y.double()).item()
    big_x = (1e3 * x + 1e3).requires_grad_()
    value = mmd2(big_x, 1e3 * y + 1e3)
    value.backward()
    assert torch.isfinite(big_x.grad).all()
    assert value.item() == pytest.approx(ref, rel=1e-3)


def test_single_reference():
    g = torch.Generator().manual_seed(4)
    x = torch.randn(8, 3, generator=g)
    y = torch.randn(1, 3, generator=g)
    value = mmd2(x, y, unbiased=False)
    assert torch.isfinite(value) and value > 0
    with pytest.raises(ValueError, match=r'M=1.*unbiased=False'):
        mmd2(x, y)
    with pytest.raises(ValueError, match='N=1'):
        mmd2(y, x)


def test_mmd2_argument_errors(small):
    x, y = small
    with pytest.raises(ValueError, match='unknown kernel'):
        mmd2(x, y, kernel='laplace')
    with pytest.raises(ValueError, match='RBF'):
        mmd2(x, y, kernel='polynomial', bandwidths=[1.0])
    with pytest.raises(ValueError, match='D=3'):
        mmd2(x, torch.zeros(3, 4, dtype=x.dtype))


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
@pytest.mark.parametrize('kwargs', [
    dict(), dict(bandwidths='median'), dict(bandwidths=[0.5, 2.0]), dict(kernel='polynomial'),
    dict(kernel=lambda a, b: a @ b.T), dict(unbiased=False)
])
def test_mmd2_gradients(device, dtype, kwargs):
    g = torch.Generator().manual_seed(5)
    x = torch.randn(6, 4, generator=g, dtype=dtype).to(device).requires_grad_()
    y = (torch.randn(5, 4, generator=g, dtype=dtype) + 1.0).to(device)
    value = mmd2(x, y, **kwargs)
    assert value.dtype == dtype and value.device.type == device
    value.backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def _brute_kid(x, y, size, num_subsets, seed):
    g = torch.Generator().manual_seed(seed)
    x, y = x.numpy(), y.numpy()
    values = []
    for _ in range(num_subsets):
        fx = x[torch.randperm(len(x), generator=g)[:size].numpy()]
        fy = y[torch.randperm(len(y), generator=g)[:size].numpy()]
        k = _poly(x.shape[1])
        kxx = sum(k(fx[i], fx[j]) for i in range(size) for j in range(size) if i != j)
        kyy = sum(k(fy[i], fy[j]) for i in range(size) for j in range(size) if i != j)
        kxy = sum(k(fx[i], fy[j]) for i in range(size) for j in range(size))
        values.append((kxx + kyy) / (size * (size - 1)) - 2 * kxy / size**2)
    return np.mean(values), np.std(values)


@pytest.mark.parametrize('subset_size,expected_size', [(6, 6), (1000, 8)])
def test_kid_matches_per_subset_brute_force(subset_size, expected_size):
    g = torch.Generator().manual_seed(6)
    x = torch.randn(12, 4, generator=g, dtype=torch.float64)
    y = torch.randn(8, 4, generator=g, dtype=torch.float64) + 0.5
    mean, std = kid(x, y, num_subsets=5, subset_size=subset_size,
                    generator=torch.Generator().manual_seed(7))
    ref_mean, ref_std = _brute_kid(x, y, expected_size, 5, seed=7)
    assert mean.item() == pytest.approx(ref_mean, rel=1e-10)
    assert std.item() == pytest.approx(ref_std, rel=1e-8)


def test_kid_whole_sets_when_small():
    g = torch.Generator().manual_seed(8)
    x = torch.randn(6, 4, generator=g, dtype=torch.float64)
    y = torch.randn(6, 4, generator=g, dtype=torch.float64)
    mean, std = kid(x, y, num_subsets=4)
    assert mean.item() == pytest.approx(mmd2(x, y, kernel='polynomial').item(), rel=1e-10)
    assert std.item() == pytest.approx(0.0, abs=1e-12)


def test_kid_deterministic_with_generator():
    g = torch.Generator().manual_seed(9)
    x = torch.randn(20, 4, generator=g)
    y = torch.randn(15, 4, generator=g)
    first = kid(x, y, num_subsets=10, subset_size=5, generator=torch.Generator().manual_seed(0))
    again = kid(x, y, num_subsets=10, subset_size=5, generator=torch.Generator().manual_seed(0))
    other = kid(x, y, num_subsets=10, subset_size=5, generator=torch.Generator().manual_seed(1))
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert not torch.equal(first[0], other[0])


def test_kid_needs_two_samples():
    with pytest.raises(ValueError, match='M=1'):
        kid(torch.randn(5, 3), torch.randn(1, 3))
