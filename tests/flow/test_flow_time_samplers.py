import pytest
import torch

from alignflow.flow import LogitNormalTimeSampler, UniformTimeSampler
from alignflow.registry import TIME_SAMPLERS

SAMPLERS = [UniformTimeSampler, LogitNormalTimeSampler]


@pytest.mark.parametrize('sampler_type', SAMPLERS)
@pytest.mark.parametrize('eps', [0.0, 1e-3])
def test_range_shape_dtype(sampler_type, eps):
    t = sampler_type(eps=eps)(4096)
    assert t.shape == (4096,) and t.dtype == torch.float32
    assert t.min() >= eps and t.max() <= 1 - eps


@pytest.mark.parametrize('sampler_type', SAMPLERS)
def test_seeded_reproducibility(sampler_type):
    sampler = sampler_type()
    a = sampler(16, generator=torch.Generator().manual_seed(7))
    b = sampler(16, generator=torch.Generator().manual_seed(7))
    c = sampler(16, generator=torch.Generator().manual_seed(8))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.equal(a, c)


def test_logit_normal_concentrates_near_half():
    g = torch.Generator().manual_seed(0)
    t = LogitNormalTimeSampler()(20000, generator=g)
    u = UniformTimeSampler()(20000, generator=g)
    middle = ((t > 0.25) & (t < 0.75)).float().mean()
    # P(|N(0, 1)| < logit(0.75) = 1.0986) = 0.728 versus 0.5 for the uniform.
    assert abs(middle - 0.728) < 0.02
    assert abs(((u > 0.25) & (u < 0.75)).float().mean() - 0.5) < 0.02
    assert abs(t.median() - 0.5) < 0.02
    assert t.std() < u.std()

    shifted = LogitNormalTimeSampler(loc=1.0)(20000, generator=g)
    assert shifted.median() > 0.7


def test_invalid_arguments():
    with pytest.raises(ValueError):
        UniformTimeSampler(eps=0.5)
    with pytest.raises(ValueError):
        LogitNormalTimeSampler(scale=0.0)


def test_registry_build():
    sampler = TIME_SAMPLERS.build(dict(type='LogitNormalTimeSampler', loc=0.5, scale=0.8))
    assert isinstance(sampler, LogitNormalTimeSampler)
    assert (sampler.loc, sampler.scale) == (0.5, 0.8)
    assert isinstance(TIME_SAMPLERS.build(dict(type='UniformTimeSampler')), UniformTimeSampler)
