import numpy as np
import pytest
import torch
from scipy import linalg

from alignflow.distances import frechet_distance, frechet_distance_torch, gaussian_stats


def _features(n=200, dim=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    mix = torch.randn(dim, dim, generator=g, dtype=torch.float64)
    return torch.randn(n, dim, generator=g, dtype=torch.float64) @ mix


def test_gaussian_stats_matches_numpy():
    feats = _features().float()
    mu, sigma = gaussian_stats(feats)
    assert mu.dtype == sigma.dtype == torch.float64
    np.testing.assert_allclose(mu.numpy(), feats.double().numpy().mean(0), rtol=1e-12)
    np.testing.assert_allclose(sigma.numpy(), np.cov(feats.double().numpy(), rowvar=False),
                               rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match='N >= 2'):
        gaussian_stats(torch.zeros(1, 3))


def test_frechet_zero_for_same_set():
    mu, sigma = gaussian_stats(_features())
    assert abs(frechet_distance(mu, sigma, mu, sigma)) < 1e-6
    assert abs(frechet_distance_torch(mu, sigma, mu, sigma).item()) < 1e-6


def test_frechet_closed_form_diagonal():
    a = np.array([1.0, 4.0, 0.25, 2.0])
    b = np.array([2.0, 1.0, 0.5, 2.0])
    mu1, mu2 = np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 1.0, 0.0, 3.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected)
    torch_value = frechet_distance_torch(*(torch.from_numpy(v) for v in
                                           (mu1, np.diag(a), mu2, np.diag(b))))
    assert torch_value.item() == pytest.approx(expected)


def test_numpy_and_torch_agree():
    stats1 = gaussian_stats(_features(seed=1))
    stats2 = gaussian_stats(_features(seed=2) + 0.3)
    reference = frechet_distance(*stats1, *stats2)
    assert frechet_distance_torch(*stats1, *stats2).item() == pytest.approx(reference, rel=1e-8)
    assert frechet_distance_torch(*stats2, *stats1).item() == pytest.approx(reference, rel=1e-8)


def test_translation_gives_squared_mean_shift():
    feats = _features()
    delta = torch.linspace(-1, 2, 8, dtype=torch.float64)
    stats1, stats2 = gaussian_stats(feats), gaussian_stats(feats + delta)
    expected = delta.dot(delta).item()
    assert frechet_distance(*stats1, *stats2) == pytest.approx(expected, rel=1e-6)
    assert frechet_distance_torch(*stats1, *stats2).item() == pytest.approx(expected, rel=1e-6)


def test_rank_deficient_few_shot_statistics():
    # 5 references in 16-D: singular covariances, as for few-shot alignment
    ref_stats = gaussian_stats(_features(n=5, dim=16, seed=3))
    fake = _features(n=6, dim=16, seed=4).requires_grad_()
    value = frechet_distance_torch(*gaussian_stats(fake), *ref_stats)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(fake.grad).all() and fake.grad.abs().sum() > 0
    reference = frechet_distance(*gaussian_stats(fake.detach()), *ref_stats)
    assert value.item() == pytest.approx(reference, rel=1e-6)


def test_frechet_singular_product_fallback(monkeypatch):
    calls = []
    sqrtm = linalg.sqrtm

    def failing_once(a):
        calls.append(a)
        return np.full_like(a, np.nan) if len(calls) == 1 else sqrtm(a)

    monkeypatch.setattr(linalg, 'sqrtm', failing_once)
    mu, sigma = np.zeros(3), np.diag([1.0, 2.0, 0.0])
    with pytest.warns(UserWarning, match='adding 0.01 to the diagonal'):
        value = frechet_distance(mu, sigma, mu, sigma, eps=1e-2)
    offset = np.eye(3) * 1e-2
    np.testing.assert_allclose(calls[1], (sigma + offset) @ (sigma + offset))
    assert value == pytest.approx(-2 * 3 * 1e-2)  # tr(S1) + tr(S2) - 2 tr(S + eps I)


def test_frechet_torch_gradient_descends():
    ref_stats = gaussian_stats(_features(seed=5))
    fake = (_features(seed=6) * 0.5 + 1.0).requires_grad_()
    value = frechet_distance_torch(*gaussian_stats(fake), *ref_stats)
    value.backward()
    stepped = frechet_distance_torch(*gaussian_stats(fake.detach() - 1e-3 * fake.grad),
                                     *ref_stats)
    assert stepped < value


def test_frechet_shape_errors():
    with pytest.raises(ValueError, match='shapes differ'):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(ValueError, match='shapes differ'):
        frechet_distance_torch(torch.zeros(3), torch.eye(3), torch.zeros(4), torch.eye(4))
