import pytest
import torch
import torch.nn.functional as F

from alignflow.flow import CondOTPath, flow_matching_loss


def _pair(dtype=torch.float32, seed=0):
    generator = torch.Generator().manual_seed(seed)
    velocity = torch.randn(4, 3, 8, 8, generator=generator).to(dtype)
    target = torch.randn(4, 3, 8, 8, generator=generator).to(dtype)
    return velocity, target


def test_mean_equals_the_former_inline_formula():
    velocity, target = _pair()
    expected = F.mse_loss(velocity.float(), target.float())  # MaskConditionedFlow.loss before
    torch.testing.assert_close(flow_matching_loss(velocity, target), expected)


def test_per_sample_equals_the_former_validation_formula():
    velocity, target = _pair()
    expected = (velocity - target).float().pow(2).flatten(1).mean(1)  # predict() before
    per_sample = flow_matching_loss(velocity, target, reduction='none')
    assert per_sample.shape == (4, )
    torch.testing.assert_close(per_sample, expected)
    torch.testing.assert_close(per_sample.mean(), flow_matching_loss(velocity, target))


def test_low_precision_inputs_are_averaged_in_float32():
    velocity, target = _pair(torch.bfloat16)
    loss = flow_matching_loss(velocity, target)
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, F.mse_loss(velocity.float(), target.float()))


def test_zero_for_the_exact_path_velocity_and_gradients_flow():
    path = CondOTPath()
    x0, x1 = _pair()
    sample = path.sample(x0, x1, torch.rand(4))
    assert flow_matching_loss(sample.x1 - sample.x0, sample.dx_t) == 0
    velocity = torch.zeros_like(x0, requires_grad=True)
    flow_matching_loss(velocity, sample.dx_t).backward()
    torch.testing.assert_close(velocity.grad, -2 * sample.dx_t / sample.dx_t.numel())


def test_bad_arguments_are_named():
    velocity, target = _pair()
    with pytest.raises(ValueError, match='differ in shape'):
        flow_matching_loss(velocity, target[:2])
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'none'"):
        flow_matching_loss(velocity, target, reduction='sum')
