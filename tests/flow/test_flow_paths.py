import pytest
import torch

from alignflow.flow import CondOTPath, CosinePath, PathSample, RK4Solver
from alignflow.registry import PATHS

PATH_TYPES = [CondOTPath, CosinePath]


def _endpoints(batch_size=6, shape=(2, 3, 4), seed=0):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.randn(batch_size, *shape, generator=g, dtype=torch.float64)
    x1 = torch.randn(batch_size, *shape, generator=g, dtype=torch.float64)
    return x0, x1


@pytest.mark.parametrize('path_type', PATH_TYPES)
def test_coefficient_endpoints_and_derivatives(path_type):
    path = path_type()
    a, b, _, _ = path.coefficients(torch.tensor([0.0, 1.0], dtype=torch.float64))
    torch.testing.assert_close(a, torch.tensor([1.0, 0.0], dtype=torch.float64))
    torch.testing.assert_close(b, torch.tensor([0.0, 1.0], dtype=torch.float64))

    t = torch.linspace(0.05, 0.95, 19, dtype=torch.float64)
    eps = 1e-6
    a_p, b_p, _, _ = path.coefficients(t + eps)
    a_m, b_m, _, _ = path.coefficients(t - eps)
    _, _, da, db = path.coefficients(t)
    torch.testing.assert_close(da, (a_p - a_m) / (2 * eps), rtol=0, atol=1e-8)
    torch.testing.assert_close(db, (b_p - b_m) / (2 * eps), rtol=0, atol=1e-8)


@pytest.mark.parametrize('path_type', PATH_TYPES)
def test_sample_shapes_and_endpoints(path_type):
    path = path_type()
    x0, x1 = _endpoints()
    t = torch.rand(x0.shape[0], dtype=torch.float64)
    s = path.sample(x0, x1, t)
    assert isinstance(s, PathSample)
    assert s.x_t.shape == s.dx_t.shape == x0.shape
    assert s.t is t and s.x0 is x0 and s.x1 is x1

    zeros, ones = torch.zeros_like(t), torch.ones_like(t)
    torch.testing.assert_close(path.sample(x0, x1, zeros).x_t, x0)
    torch.testing.assert_close(path.sample(x0, x1, ones).x_t, x1)


def test_condot_velocity_moves_x0_to_x1():
    path = CondOTPath()
    x0, x1 = _endpoints()
    t = torch.rand(x0.shape[0], dtype=torch.float64)
    s = path.sample(x0, x1, t)
    torch.testing.assert_close(s.dx_t, x1 - x0)
    torch.testing.assert_close(x0 + 1.0 * s.dx_t, x1)
    torch.testing.assert_close(s.x_t + (1 - t).view(-1, 1, 1, 1) * s.dx_t, x1)


@pytest.mark.parametrize('path_type', PATH_TYPES)
def test_integrating_target_velocity_reaches_x1(path_type):
    path = path_type()
    x0, x1 = _endpoints()

    def velocity(x, t):
        return path.sample(x0, x1, t).dx_t

    out = RK4Solver(num_steps=256).sample(velocity, x0)
    torch.testing.assert_close(out, x1, rtol=0, atol=1e-10)


@pytest.mark.parametrize('path_type', PATH_TYPES)
def test_finite_difference_of_x_t_matches_dx_t(path_type):
    path = path_type()
    x0, x1 = _endpoints()
    t = torch.linspace(0.1, 0.9, x0.shape[0], dtype=torch.float64)
    eps = 1e-6
    fd = (path.sample(x0, x1, t + eps).x_t - path.sample(x0, x1, t - eps).x_t) / (2 * eps)
    torch.testing.assert_close(path.sample(x0, x1, t).dx_t, fd, rtol=0, atol=1e-8)


@pytest.mark.parametrize('path_type', PATH_TYPES)
def test_velocity_conversions_invert_sample(path_type):
    path = path_type()
    x0, x1 = _endpoints()
    t = torch.tensor([0.0, 0.1, 0.37, 0.5, 0.93, 1.0], dtype=torch.float64)
    s = path.sample(x0, x1, t)
    torch.testing.assert_close(path.velocity_to_x1(s.x_t, s.dx_t, t), x1)
    torch.testing.assert_close(path.velocity_to_x0(s.x_t, s.dx_t, t), x0)


def test_float32_dtype_preserved():
    path = CosinePath()
    x0, x1 = (x.float() for x in _endpoints())
    s = path.sample(x0, x1, torch.rand(x0.shape[0], dtype=torch.float64))
    assert s.x_t.dtype == s.dx_t.dtype == torch.float32


def test_registry_build():
    assert isinstance(PATHS.build(dict(type='CondOTPath')), CondOTPath)
    assert isinstance(PATHS.build(dict(type='CosinePath')), CosinePath)


@pytest.mark.parametrize('path_type', PATH_TYPES)
def test_named_coefficients_say_which_multiplies_the_noise(path_type):
    x0, x1 = _endpoints()
    t = torch.rand(x0.shape[0], dtype=torch.float64)
    coefficients = path_type().coefficients(t.view(-1, 1, 1, 1))
    sample = path_type().sample(x0, x1, t)
    torch.testing.assert_close(sample.x_t, coefficients.sigma_t * x0 + coefficients.alpha_t * x1)
    torch.testing.assert_close(sample.dx_t,
                               coefficients.d_sigma_t * x0 + coefficients.d_alpha_t * x1)
    torch.testing.assert_close(path_type().coefficients(torch.tensor(1.0)).alpha_t,
                               torch.tensor(1.0))
