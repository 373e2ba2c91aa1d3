import pytest
import torch

from alignflow.flow import flow_matching_loss
from alignflow.losses import AlignmentBatch, FlowMatchingLoss
from alignflow.registry import LOSSES


def test_flow_matching_loss_is_the_weighted_loss_on_noised_source_pairs(flows, batch_inputs):
    generator, stage1 = flows
    source, mask, samples = batch_inputs
    torch.manual_seed(3)  # the formula stage 2 used before its parts (FewShotAlignment)
    x0 = torch.randn_like(source)
    t = generator.time_sampler(source.shape[0], device=source.device)
    path_sample = generator.path.sample(x0, source, t)
    expected = 0.5 * flow_matching_loss(generator.velocity_net(path_sample.x_t, t, mask),
                                        path_sample.dx_t)
    torch.manual_seed(3)
    losses = LOSSES.build(dict(type='FlowMatchingLoss'))(
        AlignmentBatch(source, mask, samples, generator, stage1))
    assert set(losses) == {'loss_fm', 'fm_weight'}
    assert torch.equal(losses['loss_fm'], expected) and float(losses['fm_weight']) == 0.5
    losses['loss_fm'].backward()
    assert generator.velocity_net.out_conv.weight.grad.abs().sum() > 0


def test_adaptive_weight_grows_with_the_loss(flows, batch_inputs):
    generator, stage1 = flows
    source, mask, samples = batch_inputs
    loss = FlowMatchingLoss(loss_weight=0.5, adaptive=dict(slack=0.0))
    assert loss.weight_schedule.rate == 1.0  # rate defaults to 1 once adaptive
    first = loss(AlignmentBatch(source, mask, samples, generator, stage1))
    assert float(first['fm_weight']) == 0.5
    with torch.no_grad():
        generator.velocity_net.out_conv.bias.add_(1.0)  # the source loss drifts up
    later = loss(AlignmentBatch(source, mask, samples, generator, stage1))
    assert float(later['fm_weight']) > 0.5
    with pytest.raises(ValueError, match="points must be 'source'"):
        AlignmentBatch(source, mask, samples, generator, stage1).points('trajectory')
