import pytest
import torch

from alignflow.registry import REWARDS

EXTRACTOR = dict(type='LowLevelStatistics')
REWARD_CFGS = [
    dict(type='MMDReward', feature_extractor=EXTRACTOR),
    dict(type='MMDReward', feature_extractor=EXTRACTOR, kernel='polynomial'),
    dict(type='SinkhornReward', feature_extractor=EXTRACTOR, num_iters=30),
    dict(type='SlicedWassersteinReward', feature_extractor=EXTRACTOR, seed=0),
]


def domain(num, red, seed):
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(num, 3, 32, 32, generator=generator) * 0.2 - 0.1
    images[:, 0] += red
    return images.clamp(-1, 1)


@pytest.mark.parametrize('cfg', REWARD_CFGS, ids=lambda c: f"{c['type']}-{c.get('kernel', '')}")
def test_reward_gradient_reaches_the_generated_batch(cfg):
    reward = REWARDS.build(cfg)
    reward.set_references(domain(3, 0.6, seed=0))
    generated = domain(4, -0.2, seed=1).requires_grad_(True)
    losses = reward(generated)
    total = losses['loss_reward'] + losses['loss_hf']
    total.backward()
    assert torch.isfinite(generated.grad).all() and generated.grad.abs().sum() > 0


@pytest.mark.parametrize('cfg', REWARD_CFGS, ids=lambda c: f"{c['type']}-{c.get('kernel', '')}")
def test_reward_is_lower_for_the_reference_domain(cfg):
    reward = REWARDS.build(cfg)
    reward.set_references(domain(5, 0.6, seed=0))
    near = reward(domain(6, 0.6, seed=1))['loss_reward']
    far = reward(domain(6, -0.4, seed=2))['loss_reward']
    assert near < far


def test_single_reference_works_through_flip_views():
    reward = REWARDS.build(REWARD_CFGS[0])
    reward.set_references(domain(1, 0.5, seed=0))
    assert reward.reference_features.shape[0] == 4 and reward.num_references == 1
    assert torch.isfinite(reward(domain(2, 0.1, seed=3))['loss_reward'])


def test_high_frequency_guard_penalises_speckle_only():
    reward = REWARDS.build(REWARD_CFGS[0])
    smooth = torch.zeros(4, 3, 32, 32) + torch.linspace(-0.5, 0.5, 32)
    reward.set_references(smooth)
    assert reward(smooth)['loss_hf'] == 0
    speckled = smooth + 0.3 * torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    out = reward(speckled)
    assert out['loss_hf'] > 0 and out['hf_energy'] > reward(smooth)['hf_energy']


def test_reward_refuses_missing_or_empty_references():
    reward = REWARDS.build(REWARD_CFGS[0])
    with pytest.raises(RuntimeError, match='set_references'):
        reward(domain(2, 0.0, seed=0))
    with pytest.raises(ValueError, match='non-empty'):
        reward.set_references(torch.empty(0, 3, 8, 8))
    with pytest.raises(ValueError, match='unknown reference views'):
        REWARDS.build(dict(REWARD_CFGS[0], views=('rot90', )))


def varied_domain(num, red, seed):
    """Images whose colour and brightness vary from image to image (so they are not
    interchangeable), with a horizontal ramp pointing left or right at random (so the domain,
    like endoscopy, looks the same flipped: flip views of references are in-domain)."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(num, 3, 32, 32, generator=generator) * 0.2 - 0.1
    images += 0.3 * torch.rand(num, 3, 1, 1, generator=generator)
    direction = torch.randint(0, 2, (num, 1, 1), generator=generator) * 2 - 1
    images[:, 0] += red + direction * torch.linspace(-0.3, 0.3, 32)
    return images.clamp(-1, 1)


@pytest.mark.parametrize('cfg', REWARD_CFGS, ids=lambda c: f"{c['type']}-{c.get('kernel', '')}")
def test_matched_reward_of_real_batches_meets_the_reference_floor(cfg):
    reward = REWARDS.build(cfg)
    reward.set_references(varied_domain(12, 0.3, seed=0))
    floor = reward.reference_floor(batch_size=8)
    assert floor == reward.reference_floor(batch_size=8)  # seeded: the same every call

    def matched(red, seed):
        reward(varied_domain(8, red, seed))
        return reward.matched_reward(reward.last_features)

    real = sum(matched(0.3, seed) for seed in range(1, 9)) / 8
    shifted = matched(-0.3, 9)
    # Real target batches score like held-out references; a shifted domain far above.
    assert abs(real - floor) < 0.1 * (shifted - floor)


def test_reference_floor_needs_three_references():
    reward = REWARDS.build(REWARD_CFGS[0])
    reward.set_references(varied_domain(2, 0.3, seed=0))
    assert reward.reference_floor() is None


def test_a_reward_without_a_distance_cannot_be_built():
    from alignflow.rewards.base import DistributionReward

    class NoDistance(DistributionReward):
        pass

    with pytest.raises(TypeError, match='abstract'):
        NoDistance(feature_extractor=EXTRACTOR)


def test_image_patches_are_the_grid_of_crops_image_major():
    from alignflow.rewards.base import image_patches
    images = torch.arange(2 * 3 * 8 * 12, dtype=torch.float32).view(2, 3, 8, 12)
    patches = image_patches(images, 4, 4)
    assert patches.shape == (2 * 2 * 3, 3, 4, 4)
    assert torch.equal(patches[0], images[0, :, :4, :4])
    assert torch.equal(patches[4], images[0, :, 4:, 4:8])  # row 1, column 1 of image 0
    assert torch.equal(patches[6], images[1, :, :4, :4])
    assert image_patches(images, 4, 2).shape[0] == 2 * 3 * 5
    with pytest.raises(ValueError, match='patch_size 9 is larger'):
        image_patches(images, 9, 9)


PATCH_CFG = dict(REWARD_CFGS[0], patch_size=16, patch_stride=8)


def test_patch_reward_banks_every_patch_and_keeps_whole_images_apart():
    reward = REWARDS.build(PATCH_CFG)
    reward.set_references(domain(5, 0.6, seed=0))
    assert reward.patches_per_image == 9 and reward.num_references == 5
    assert reward.reference_features.shape[0] == 5 * 4 * 9
    generated = domain(4, -0.2, seed=1).requires_grad_(True)
    losses = reward(generated)
    losses['loss_reward'].backward()
    assert torch.isfinite(generated.grad).all() and generated.grad.abs().sum() > 0
    assert reward.last_features.shape[0] == 4 * 9
    near = reward(domain(6, 0.6, seed=1))['loss_reward']
    assert near < reward(domain(6, -0.4, seed=2))['loss_reward']
    held, rest = next(reward._reference_splits(2, 1, seed=0))
    assert held.shape[0] == 2 * 9 and rest.shape[0] == 3 * 4 * 9
    with pytest.raises(ValueError, match='give 1 patches each, the references 9'):
        reward(domain(2, 0.6, seed=3)[..., :16, :16])


def test_patch_matched_reward_of_real_batches_meets_the_reference_floor():
    reward = REWARDS.build(PATCH_CFG)
    reward.set_references(varied_domain(12, 0.3, seed=0))
    floor = reward.reference_floor(batch_size=8)

    def matched(red, seed):
        reward(varied_domain(8, red, seed))
        return reward.matched_reward(reward.last_features)

    real = sum(matched(0.3, seed) for seed in range(1, 9)) / 8
    assert abs(real - floor) < 0.1 * (matched(-0.3, 9) - floor)
