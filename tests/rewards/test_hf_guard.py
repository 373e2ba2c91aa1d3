import pytest
import torch
import torch.nn.functional as F

from alignflow.features import high_frequency_energy
from alignflow.registry import REWARDS
from alignflow.rewards import HighFrequencyGuard


def speckled(seed, scale=0.3):
    smooth = torch.zeros(4, 3, 32, 32) + torch.linspace(-0.5, 0.5, 32)
    return smooth + scale * torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(seed))


def test_guard_is_the_excess_over_the_references_bound():
    references, batch = speckled(0, 0.05), speckled(1)
    guard = HighFrequencyGuard(tolerance=0.2, weight=3.0)
    guard.set_references(references)
    # The formula the reward computed before its parts (DistributionReward.forward).
    hf = high_frequency_energy(batch).float()
    bound = high_frequency_energy(references).float().max() * (1 + 0.2)
    expected = 3.0 * F.relu(hf.mean() / bound - 1).pow(2)
    out = guard(batch)
    assert torch.equal(out['loss_hf'], expected) and expected > 0
    assert torch.equal(out['hf_energy'], hf.mean())
    assert set(HighFrequencyGuard(tolerance=None)(batch)) == {'hf_energy'}


def test_reward_leaves_the_guard_out_when_told():
    reward = REWARDS.build(dict(type='MMDReward', feature_extractor=dict(type='LowLevelStatistics'),
                                hf_guard=None))
    reward.set_references(speckled(0, 0.05))
    assert set(reward(speckled(1))) == {'loss_reward'}
    assert reward.hf_guard is None
    with pytest.raises(TypeError):
        HighFrequencyGuard(bound=1.0)
