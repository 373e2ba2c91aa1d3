"""LowLevelStatistics and high_frequency_energy: determinism, domain separation, guards."""
import pytest
import torch
import torch.nn.functional as F

import alignflow  # noqa: F401
from alignflow.features import LowLevelStatistics, high_frequency_energy
from alignflow.features.statistics import gaussian_kernel, rgb_to_lab


def _blur(images, sigma):
    kernel = gaussian_kernel(sigma).expand(3, 1, -1, -1)
    pad = kernel.shape[-1] // 2
    return F.conv2d(F.pad(images, (pad, ) * 4, mode='replicate'), kernel, groups=3)


def _domain(color, blur_sigma, n=6, seed=0, size=48):
    """n images in [-1, 1]: a base colour, smooth illumination, fine tissue texture."""
    g = torch.Generator().manual_seed(seed)
    color = torch.tensor(color)[None, :, None, None]
    light = F.interpolate(torch.rand(n, 1, 4, 4, generator=g), size=(size, size),
                          mode='bilinear', align_corners=False)
    texture = 0.08 * torch.randn(n, 1, size, size, generator=g)
    images = color * (0.7 + 0.3 * light) + texture
    if blur_sigma:
        images = _blur(images, blur_sigma)
    return images.clamp(0, 1) * 2 - 1


def test_deterministic_and_named():
    images = _domain((0.7, 0.3, 0.3), 0)
    a, b = LowLevelStatistics(), LowLevelStatistics()
    torch.testing.assert_close(a(images), b(images), rtol=0, atol=0)
    assert len(a.feature_names) == a.feature_dim == 27 + 60 + 54 + 2
    assert list(a.group_slices) == ['color', 'pooled', 'texture', 'high_frequency']
    assert a.feature_names[a.group_slices['high_frequency']] == [
        'high_frequency/laplacian', 'high_frequency/gradient']


def test_groups_are_configurable():
    model = LowLevelStatistics(color_spaces=('lab', ), pool_grids=(), texture_scales=(1, 0),
                               blur_sigma=None, high_frequency=False)
    assert model.feature_dim == 9 + 2 * 9
    assert list(model.group_slices) == ['color', 'texture']
    assert model.feature_names[9] == 'texture/sharp/scale0/energy_dx'
    assert model(torch.zeros(2, 3, 8, 8)).shape == (2, model.feature_dim)
    with pytest.raises(ValueError, match='unknown color_spaces'):
        LowLevelStatistics(color_spaces=('hsv', ))
    with pytest.raises(ValueError, match='at least 4x4'):
        LowLevelStatistics()(torch.zeros(1, 3, 3, 3))


def test_separates_colour_and_texture_domains():
    """Reddish sharp vs orange blurred images: between-domain distances dwarf within-domain."""
    model = LowLevelStatistics()
    red = model(torch.cat([_domain((0.75, 0.3, 0.3), 0, seed=s) for s in (0, 1)]))
    orange = model(torch.cat([_domain((0.9, 0.55, 0.25), 1.5, seed=s) for s in (2, 3)]))
    within = torch.cat([torch.pdist(red), torch.pdist(orange)])
    between = torch.cdist(red, orange).flatten()
    assert between.min() > within.max()
    # What a (linear-kernel) MMD sees: the distance of the domain means vs the spread around them.
    mean_gap = (red.mean(0) - orange.mean(0)).norm()
    spread = torch.cat([red - red.mean(0), orange - orange.mean(0)]).norm(dim=1)
    assert mean_gap > 3 * spread.pow(2).mean().sqrt()
    # Each cue on its own moves its own group.
    sharp, blurred = _domain((0.75, 0.3, 0.3), 0), _domain((0.75, 0.3, 0.3), 1.5)
    texture = model.group_slices['texture']
    assert (model(sharp) - model(blurred))[:, texture].norm(dim=1).min() > 1.0


def test_lab_reference_colours():
    rgb = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])[:, :, None, None]
    lab = rgb_to_lab(rgb)[:, :, 0, 0]
    expected = torch.tensor([[100.0, 0.0, 0.0], [53.24, 80.09, 67.20], [0.0, 0.0, 0.0]])
    torch.testing.assert_close(lab, expected, atol=0.05, rtol=0)


def test_high_frequency_energy_tracks_noise_and_blur():
    images = _domain((0.7, 0.4, 0.3), 0.7, n=3)
    base = high_frequency_energy(images)
    noise = 0.1 * torch.randn(images.shape, generator=torch.Generator().manual_seed(0))
    noisy = high_frequency_energy(images + noise)
    blurred = high_frequency_energy(_blur(images, 1.0))
    assert base.shape == (3, )
    assert (noisy > 1.5 * base).all() and (blurred < 0.5 * base).all()
    assert high_frequency_energy(torch.zeros(1, 3, 8, 8)).item() == 0
    # A vertical step of 255 grey levels: |Laplacian| 255 on the two columns beside it.
    step = torch.cat([-torch.ones(1, 3, 6, 3), torch.ones(1, 3, 6, 3)], dim=3)
    torch.testing.assert_close(high_frequency_energy(step), torch.tensor([255.0 * 2 / 4]))
