"""The reference-floor stopping rule's statistics, on real rewards."""
import pytest
import torch

from alignflow.engine.hooks.reference_floor import (matched_reward, reference_floor,
                                                    reference_splits)
from alignflow.registry import REWARDS

EXTRACTOR = dict(type='LowLevelStatistics')
REWARD_CFGS = [
    dict(type='MMDReward', feature_extractor=EXTRACTOR),
    dict(type='MMDReward', feature_extractor=EXTRACTOR, kernel='polynomial'),
    dict(type='SinkhornReward', feature_extractor=EXTRACTOR, num_iters=30),
    dict(type='SlicedWassersteinReward', feature_extractor=EXTRACTOR, seed=0),
]
PATCH_CFG = dict(REWARD_CFGS[0], bank=dict(patch_size=16, patch_stride=8))


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
    floor = reference_floor(reward, batch_size=8)
    assert floor == reference_floor(reward, batch_size=8)  # seeded: the same every call

    def matched(red, seed):
        reward(varied_domain(8, red, seed))
        return matched_reward(reward, reward.last_features)

    real = sum(matched(0.3, seed) for seed in range(1, 9)) / 8
    shifted = matched(-0.3, 9)
    # Real target batches score like held-out references; a shifted domain far above.
    assert abs(real - floor) < 0.1 * (shifted - floor)


def test_reference_floor_needs_three_references():
    reward = REWARDS.build(REWARD_CFGS[0])
    reward.set_references(varied_domain(2, 0.3, seed=0))
    assert reference_floor(reward) is None


def test_patch_matched_reward_of_real_batches_meets_the_reference_floor():
    reward = REWARDS.build(PATCH_CFG)
    reward.set_references(varied_domain(12, 0.3, seed=0))
    floor = reference_floor(reward, batch_size=8)

    def matched(red, seed):
        reward(varied_domain(8, red, seed))
        return matched_reward(reward, reward.last_features)

    real = sum(matched(0.3, seed) for seed in range(1, 9)) / 8
    assert abs(real - floor) < 0.1 * (matched(-0.3, 9) - floor)


def test_splits_hold_out_one_view_of_whole_images():
    reward = REWARDS.build(PATCH_CFG)
    reward.set_references(varied_domain(5, 0.6, seed=0))
    held, rest = next(reference_splits(reward, 2, 1, seed=0))
    assert held.shape[0] == 2 * 9 and rest.shape[0] == 3 * 4 * 9
