import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment
from scipy.stats import wasserstein_distance

from alignflow.distances import sinkhorn_divergence, sliced_wasserstein

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


def _clouds(n=16, m=16, dim=3, shift=0.5, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, dim, generator=g, dtype=dtype),
            torch.randn(m, dim, generator=g, dtype=dtype) + shift)


def _exact_ot(x, y, p):
    cost = (torch.cdist(x, y) ** p).numpy()
    rows, cols = linear_sum_assignment(cost)
    return cost[rows, cols].mean()


def test_sinkhorn_zero_for_identical_sets():
    x, _ = _clouds()
    assert abs(sinkhorn_divergence(x, x.clone()).item()) < 1e-8


def test_sinkhorn_positive_growing_and_symmetric():
    x, y = _clouds(shift=0.0)
    values = [sinkhorn_divergence(x, y + s).item() for s in (0.0, 0.25, 0.5, 1.0, 2.0)]
    assert values[0] > 0 and all(a < b for a, b in zip(values, values[1:])), values
    # symmetric up to the convergence of the iterations (~1e-4 relative at num_iters=100)
    assert sinkhorn_divergence(y, x).item() == pytest.approx(values[0], rel=1e-3)
    assert sinkhorn_divergence(y, x, num_iters=1000).item() == pytest.approx(
        sinkhorn_divergence(x, y, num_iters=1000).item(), rel=1e-6)


@pytest.mark.parametrize('p', [1, 2])
def test_sinkhorn_approaches_exact_wasserstein(p):
    x, y = _clouds()
    exact = _exact_ot(x, y, p)  # W_p^p: cost ||x - y||^p, no 1/p factor
    assert sinkhorn_divergence(x, y, epsilon=1e-3, p=p).item() == pytest.approx(exact, rel=2e-3)
    coarse = sinkhorn_divergence(x, y, p=p).item()  # default epsilon=0.05 (relative)
    assert 0.85 * exact < coarse < exact


def test_sinkhorn_scale_equivariance_and_large_features():
    x, y = _clouds(dtype=torch.float32)
    ref = sinkhorn_divergence(x, y).item()
    big_x = (1e3 * x + 1e3).requires_grad_()
    value = sinkhorn_divergence(big_x, 1e3 * y + 1e3)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(big_x.grad).all()
    assert value.item() == pytest.approx(1e6 * ref, rel=1e-3)
    absolute = sinkhorn_divergence(x, y, epsilon=0.05 * 3.0, relative_epsilon=False)
    assert torch.isfinite(absolute)


def test_sinkhorn_gradient_matches_finite_differences():
    x, y = _clouds(n=6, m=5, dim=2)
    x.requires_grad_()

    def value(x_):
        return sinkhorn_divergence(x_, y, epsilon=0.1, num_iters=300, relative_epsilon=False)

    value(x).backward()
    assert x.grad.abs().sum() > 0
    step = 1e-6
    for i, j in [(0, 0), (3, 1), (5, 0)]:
        delta = torch.zeros_like(x)
        delta[i, j] = step
        numeric = (value(x.detach() + delta) - value(x.detach() - delta)).item() / (2 * step)
        assert x.grad[i, j].item() == pytest.approx(numeric, rel=1e-4, abs=1e-7)


def test_sinkhorn_weights():
    x, y = _clouds(n=3, m=4)
    duplicated = torch.cat([x, x[:1]])
    weighted = sinkhorn_divergence(x, y, weights_x=torch.tensor([2.0, 1.0, 1.0]))
    assert weighted.item() == pytest.approx(sinkhorn_divergence(duplicated, y).item(), rel=1e-6)
    uniform = sinkhorn_divergence(x, y, weights_y=torch.ones(4))
    assert uniform.item() == pytest.approx(sinkhorn_divergence(x, y).item(), rel=1e-12)
    with pytest.raises(ValueError, match='weights_x'):
        sinkhorn_divergence(x, y, weights_x=torch.ones(2))


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_sinkhorn_gradient_flows(device, dtype):
    x, y = _clouds(n=10, m=3, dtype=dtype)
    x = x.to(device).requires_grad_()
    y = y.to(device).requires_grad_()
    value = sinkhorn_divergence(x, y)
    assert value.dtype == dtype and value.device.type == device
    value.backward()
    for t in (x, y):
        assert torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0
    # a gradient step on x lowers the divergence
    assert sinkhorn_divergence(x.detach() - 0.5 * x.grad, y.detach()) < value


def test_sliced_zero_for_identical_and_grows_with_shift():
    x, y = _clouds(shift=0.0)
    gen = torch.Generator().manual_seed(0)
    assert sliced_wasserstein(x, x.clone(), generator=gen).item() == 0.0
    values = [sliced_wasserstein(x, y + s, generator=torch.Generator().manual_seed(0)).item()
              for s in (0.0, 0.25, 0.5, 1.0, 2.0)]
    assert all(a < b for a, b in zip(values, values[1:])), values


@pytest.mark.parametrize('n,m', [(7, 7), (7, 4), (3, 10)])
def test_sliced_exact_in_one_dimension(n, m):
    x, y = _clouds(n=n, m=m, dim=1, shift=0.7)
    sw1 = sliced_wasserstein(x, y, num_projections=4, p=1).item()
    assert sw1 == pytest.approx(wasserstein_distance(x[:, 0].numpy(), y[:, 0].numpy()), rel=1e-10)
    # W_2^2 between uniform empirical measures: replicate to equal sizes n*m and sort-match
    xs = np.sort(np.repeat(x[:, 0].numpy(), m))
    ys = np.sort(np.repeat(y[:, 0].numpy(), n))
    sw2 = sliced_wasserstein(x, y, num_projections=4, p=2).item()
    assert sw2 == pytest.approx(np.mean((xs - ys)**2), rel=1e-10)


def test_sliced_unequal_sizes_and_gradients():
    x, y = _clouds(n=9, m=4, dim=5)
    x.requires_grad_()
    value = sliced_wasserstein(x, y, generator=torch.Generator().manual_seed(1))
    value.backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    again = sliced_wasserstein(x, y, generator=torch.Generator().manual_seed(1))
    assert again.item() == value.item()
    # p=2 sliced W of a pure translation is |t|^2 / D in expectation over directions
    x0, _ = _clouds(n=20, dim=4)
    shift = torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=x0.dtype)
    sw = sliced_wasserstein(x0, x0 + shift, num_projections=4000,
                            generator=torch.Generator().manual_seed(2))
    assert sw.item() == pytest.approx(0.25, rel=0.05)
