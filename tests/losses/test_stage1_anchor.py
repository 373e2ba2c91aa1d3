import pytest
import torch

from alignflow.flow import flow_matching_loss
from alignflow.losses import AlignmentBatch, FlowMatchingLoss, Stage1AnchorLoss
from alignflow.registry import LOSSES


def test_anchor_at_source_points_shares_the_flow_matching_points(flows, batch_inputs):
    generator, stage1 = flows
    source, mask, samples = batch_inputs
    torch.manual_seed(3)  # the formula stage 2 used before its parts (FewShotAlignment)
    x0 = torch.randn_like(source)
    t = generator.time_sampler(source.shape[0], device=source.device)
    x_t = generator.path.sample(x0, source, t).x_t
    with torch.no_grad():
        stage1_velocity = stage1(x_t, t, mask)
    expected = 2.0 * flow_matching_loss(generator.velocity_net(x_t, t, mask), stage1_velocity)
    torch.manual_seed(3)
    batch = AlignmentBatch(source, mask, samples, generator, stage1)
    FlowMatchingLoss()(batch)  # draws the source points; the anchor reads the same ones
    losses = LOSSES.build(dict(type='Stage1AnchorLoss', loss_weight=2.0))(batch)
    assert set(losses) == {'loss_anchor'} and torch.equal(losses['loss_anchor'], expected)


def test_anchor_at_samples_noises_the_models_detached_samples(flows, batch_inputs):
    generator, stage1 = flows
    source, mask, samples = batch_inputs
    torch.manual_seed(4)
    own = samples.detach().float().clamp(-1, 1)
    t = generator.time_sampler(own.shape[0], device=own.device)
    x_t = generator.path.sample(torch.randn_like(own), own, t).x_t
    with torch.no_grad():
        stage1_velocity = stage1(x_t, t, mask)
    expected = flow_matching_loss(generator.velocity_net(x_t, t, mask), stage1_velocity)
    torch.manual_seed(4)
    loss = Stage1AnchorLoss(points='samples')(
        AlignmentBatch(source.neg(), mask, samples, generator, stage1))['loss_anchor']
    assert torch.equal(loss, expected)
    loss.backward()
    assert samples.grad is None  # the samples enter detached
    assert generator.velocity_net.out_conv.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="points must be 'source'"):
        Stage1AnchorLoss(points='trajectory')
