import copy

import pytest
import torch

from alignflow.flow import flow_matching_loss
from alignflow.losses import AlignmentBatch, MaskEffectAnchorLoss, Stage1AnchorLoss
from alignflow.registry import LOSSES


@pytest.mark.parametrize('points', ['source', 'samples'])
def test_mask_effect_anchor_compares_what_the_mask_changes(flows, batch_inputs, points):
    generator, stage1 = flows
    source, mask, samples = batch_inputs
    torch.manual_seed(5)  # the formula stage 2 used before its parts (FewShotAlignment)
    x1 = source if points == 'source' else samples.detach().float().clamp(-1, 1)
    if points == 'source':
        x0 = torch.randn_like(x1)
        t = generator.time_sampler(x1.shape[0], device=x1.device)
    else:
        t = generator.time_sampler(x1.shape[0], device=x1.device)
        x0 = torch.randn_like(x1)
    x_t = generator.path.sample(x0, x1, t).x_t
    velocity = generator.velocity_net(x_t, t, mask)
    with torch.no_grad():
        anchor_velocity = stage1(x_t, t, mask)
        anchor_effect = anchor_velocity - stage1(x_t, t, None)
    effect = velocity - generator.velocity_net(x_t, t, None)
    expected = 3.0 * flow_matching_loss(effect, anchor_effect)
    torch.manual_seed(5)
    batch = AlignmentBatch(source, mask, samples, generator, stage1)
    losses = LOSSES.build(dict(type='MaskEffectAnchorLoss', loss_weight=3.0, points=points))(batch)
    assert set(losses) == {'loss_mask_anchor'} and torch.equal(losses['loss_mask_anchor'], expected)


def test_a_mask_independent_change_is_free_a_mask_dependent_one_is_not(flows, batch_inputs):
    generator, _ = flows
    source, mask, samples = batch_inputs
    stage1 = copy.deepcopy(generator.velocity_net).requires_grad_(False)

    def anchors():
        torch.manual_seed(7)
        batch = AlignmentBatch(source, mask, samples, generator, stage1)
        return (float(Stage1AnchorLoss()(batch)['loss_anchor']),
                float(MaskEffectAnchorLoss()(batch)['loss_mask_anchor']))

    assert anchors() == (0.0, 0.0)
    with torch.no_grad():  # a new look: the same shift with the mask and without it
        generator.velocity_net.out_conv.bias.add_(0.5)
    velocity_anchor, mask_anchor = anchors()
    assert velocity_anchor > 0.2 and mask_anchor < 1e-10
    with torch.no_grad():  # a change of how the mask acts on the velocity
        first = generator.velocity_net.input_blocks[0][0].weight
        first[:, -1].add_(torch.randn_like(first[:, -1]))
    assert anchors()[1] > 1e-4


def test_mask_effect_anchor_refuses_a_stage1_without_a_null_condition(flows):
    generator, _ = flows
    MaskEffectAnchorLoss().check_generator(generator)
    generator.cond_dropout = 0.0
    with pytest.raises(ValueError, match='cond_dropout=0'):
        MaskEffectAnchorLoss().check_generator(generator)
