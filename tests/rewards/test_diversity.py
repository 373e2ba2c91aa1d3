import pytest
import torch

from alignflow.registry import REWARDS
from alignflow.distances import spread_across_images
from alignflow.rewards.diversity import diversity_shortfall

GUARDED = dict(type='MMDReward', feature_extractor=dict(type='LowLevelStatistics'),
               diversity_guard=dict(weight=1.0))


def guarded(**guard):
    return {**GUARDED, 'diversity_guard': dict(weight=1.0, **guard)}


def varied(num, seed):
    """Images whose brightness and colour differ from one to the next."""
    generator = torch.Generator().manual_seed(seed)
    offsets = torch.rand(num, 3, 1, 1, generator=generator) - 0.5
    noise = 0.1 * torch.rand(num, 3, 16, 16, generator=generator)
    return (offsets + noise).clamp(-1, 1)


def test_shortfall_is_zero_once_as_varied_as_the_references():
    reference = torch.tensor(2.0)
    assert float(diversity_shortfall(torch.tensor(3.0), reference)) == 0
    assert float(diversity_shortfall(torch.tensor(2.0), reference)) == 0
    assert float(diversity_shortfall(torch.tensor(0.5), reference)) == pytest.approx(0.75)


def test_guard_penalises_a_collapsed_batch_and_spares_a_varied_one():
    reward = REWARDS.build(GUARDED)
    reward.set_references(varied(5, seed=0))
    collapsed = varied(1, seed=1).repeat(6, 1, 1, 1)
    assert float(reward(collapsed)['loss_diversity']) == pytest.approx(1.0, abs=1e-4)
    spread_out = varied(6, seed=2) * 1.5
    out = reward(spread_out)
    assert out['spread_ratio'] > 1 and out['loss_diversity'] == 0


def test_guard_is_left_out_by_default():
    reward = REWARDS.build({**GUARDED, 'diversity_guard': None})
    reward.set_references(varied(1, seed=0))  # one reference is enough without it
    assert 'loss_diversity' not in reward(varied(1, seed=1).repeat(4, 1, 1, 1))


def test_guard_gradient_spreads_the_batch_out():
    reward = REWARDS.build(GUARDED)
    reward.set_references(varied(5, seed=0))
    images = (varied(1, seed=1) * 0.2 + 0.01 * varied(6, seed=3)).requires_grad_(True)
    before = float(reward(images)['spread_ratio'])
    optimizer = torch.optim.SGD([images], lr=0.05)
    for _ in range(20):
        optimizer.zero_grad()
        reward(images)['loss_diversity'].backward()
        optimizer.step()
    assert float(reward(images.detach())['spread_ratio']) > 2 * before


def test_one_reference_turns_the_guard_off_and_a_batch_of_one_is_refused():
    reward = REWARDS.build(GUARDED)
    with pytest.raises(ValueError, match='there is 1 reference'):
        reward.diversity_guard.set_references(varied(1, seed=0), reward.embed)
    reward.set_references(varied(1, seed=0))  # one reference has no spread: the guard is off
    assert reward.diversity_guard is None and 'loss_diversity' not in reward(varied(2, seed=1))
    biased = REWARDS.build({**GUARDED, 'unbiased': False})  # its MMD takes one image
    biased.set_references(varied(3, seed=0))
    with pytest.raises(ValueError, match='batches of 2 images or more'):
        biased(varied(1, seed=1))
    with pytest.raises(ValueError, match='weight must be > 0'):
        REWARDS.build({**GUARDED, 'diversity_guard': dict(weight=-1.0)})


def test_guard_works_on_patch_features():
    reward = REWARDS.build({**GUARDED, 'bank': dict(patch_size=8)})
    reward.set_references(varied(4, seed=0))
    collapsed = reward(varied(1, seed=1).repeat(3, 1, 1, 1))['loss_diversity']
    assert collapsed > 0 and reward(varied(3, seed=2) * 1.5)['loss_diversity'] < collapsed


def test_guard_can_measure_the_spread_in_a_space_of_its_own():
    from alignflow.features.encoders import RandomConvFeatures
    space = dict(type='RandomConvFeatures', seed=1, widths=(8, 16))
    reward = REWARDS.build(guarded(features=space))
    references = varied(5, seed=0)
    reward.set_references(references)
    expected = spread_across_images(RandomConvFeatures(seed=1, widths=(8, 16))(references))
    held = float(reward.diversity_guard.target_spread)
    assert held == pytest.approx(float(expected), rel=1e-5)
    own = REWARDS.build(GUARDED)
    own.set_references(references)
    batch = varied(4, seed=4)
    assert float(reward(batch)['spread_ratio']) != pytest.approx(
        float(own(batch)['spread_ratio']), rel=1e-3)


def test_guard_in_several_spaces_acts_when_one_of_them_sees_the_spread_fall():
    from alignflow.features.encoders import RandomConvFeatures
    nets = [RandomConvFeatures(seed=seed, widths=(8, 16)) for seed in (1, 2)]
    reward = REWARDS.build(guarded(features=[
        dict(type='RandomConvFeatures', seed=seed, widths=(8, 16)) for seed in (1, 2)]))
    guard = reward.diversity_guard
    references, batch = varied(5, seed=0), varied(4, seed=4)
    reward.set_references(references)
    expected = torch.stack([spread_across_images(net(references)) for net in nets])
    assert torch.allclose(guard.target_spread, expected, rtol=1e-5)
    spreads = torch.stack([spread_across_images(net(batch)) for net in nets])
    guard.target_spread = spreads * torch.tensor([0.5, 2.0])  # met in one, half in the other
    out = reward(batch)
    assert float(out['spread_ratio']) == pytest.approx(1.25, rel=1e-4)
    assert float(out['loss_diversity']) == pytest.approx(0.25, rel=1e-4)
    held = guard.hold_spread_of([batch], reward.embed)
    assert held.shape == (2, ) and torch.allclose(held, spreads, rtol=1e-5)
    with pytest.raises(ValueError, match='features is an empty list'):
        REWARDS.build(guarded(features=[]))


def test_guard_can_hold_the_spread_of_another_set():
    reward = REWARDS.build(GUARDED)
    reward.set_references(varied(5, seed=0))
    batches = [varied(4, seed=5) * 0.5, varied(4, seed=6) * 0.5]
    held = reward.diversity_guard.hold_spread_of(batches, reward.embed)
    expected = sum(float(spread_across_images(reward.feature_extractor(b))) for b in batches) / 2
    assert float(held) == pytest.approx(expected, rel=1e-5)
    # A batch as varied as those sets now passes, though it falls short of the references.
    assert float(reward(varied(4, seed=5) * 0.5)['spread_ratio']) == pytest.approx(
        float(spread_across_images(reward.feature_extractor(varied(4, seed=5) * 0.5))) / expected,
        rel=1e-5)
    with pytest.raises(ValueError, match="target must be 'references', 'stage1' or"):
        REWARDS.build(guarded(target='real'))


def test_guard_in_the_features_of_joined_spaces_keeps_the_spread_of_each_block():
    from alignflow.features import LowLevelStatistics, RandomConvFeatures
    space = dict(type='RandomConvFeatures', seed=1, widths=(8, 16))
    reward = REWARDS.build({**GUARDED, 'feature_extractor': dict(
        type='ConcatenatedFeatures', extractors=[dict(type='LowLevelStatistics'), space])})
    references = varied(5, seed=0)
    reward.set_references(references)
    expected = torch.stack([spread_across_images(LowLevelStatistics()(references)),
                            spread_across_images(RandomConvFeatures(seed=1, widths=(8, 16))(
                                references))])
    assert torch.allclose(reward.diversity_guard.target_spread, expected, rtol=1e-5)
    collapsed = varied(1, seed=1).repeat(6, 1, 1, 1)
    assert float(reward(collapsed)['loss_diversity']) == pytest.approx(1.0, abs=1e-4)
