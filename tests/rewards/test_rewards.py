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
    assert reward.bank.features.shape[0] == 4 and reward.num_references == 1
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
        REWARDS.build(dict(REWARD_CFGS[0], bank=dict(views=('rot90', ))))


def test_a_reward_without_a_distance_cannot_be_built():
    from alignflow.rewards.base import DistributionReward

    class NoDistance(DistributionReward):
        pass

    with pytest.raises(TypeError, match='abstract'):
        NoDistance(feature_extractor=EXTRACTOR)


def test_a_reward_over_joined_spaces_averages_the_blocks_whatever_their_scale():
    from alignflow.features import ConcatenatedFeatures, LowLevelStatistics, RandomConvFeatures
    from alignflow.rewards import MMDReward

    class Scaled(RandomConvFeatures):
        """A random CNN whose features are 1000x larger: it would own a joint kernel."""

        def extract(self, images):
            return 1000 * super().extract(images)

    def joined_reward(cnn):
        return MMDReward(feature_extractor=ConcatenatedFeatures([LowLevelStatistics(), cnn]))

    references, generated = domain(5, 0.6, seed=0), domain(6, -0.2, seed=1)
    rewards = [joined_reward(RandomConvFeatures(seed=3)), joined_reward(Scaled(seed=3))]
    singles = [MMDReward(feature_extractor=LowLevelStatistics()),
               MMDReward(feature_extractor=RandomConvFeatures(seed=3))]
    for reward in rewards + singles:
        reward.set_references(references)
    expected = sum(float(single(generated)['loss_reward']) for single in singles) / 2
    for reward in rewards:
        assert float(reward(generated)['loss_reward']) == pytest.approx(expected, rel=1e-4)
