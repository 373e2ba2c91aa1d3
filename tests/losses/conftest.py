import copy

import pytest
import torch

from alignflow.models.generators import MaskConditionedFlow
from alignflow.models.generators.data_preprocessor import encode_mask

NET = dict(type='ConditionalUNet', base_channels=8, channel_mults=(1, ), num_res_blocks=1,
           attention_levels=(), num_heads=1)


@pytest.fixture
def flows():
    """(generator, stage-1 net): a tiny flow with a null condition, and a drifted frozen copy
    of its velocity net standing in for stage 1."""
    torch.manual_seed(0)
    generator = MaskConditionedFlow(velocity_net=dict(NET), cond_dropout=0.1,
                                    solver=dict(type='EulerSolver', num_steps=2))
    torch.nn.init.normal_(generator.velocity_net.out_conv.weight, std=0.02)  # zero at init
    stage1 = copy.deepcopy(generator.velocity_net).requires_grad_(False).eval()
    with torch.no_grad():
        for param in stage1.parameters():
            param.add_(0.05 * torch.randn_like(param))
    return generator, stage1


@pytest.fixture
def batch_inputs():
    """source (4, 3, 8, 8), mask (4, 2, 8, 8), samples (4, 3, 8, 8) with gradients."""
    generator = torch.Generator().manual_seed(1)
    labels = (torch.rand(4, 1, 8, 8, generator=generator) > 0.6).long()
    source = torch.rand(4, 3, 8, 8, generator=generator) * 2 - 1
    samples = (torch.rand(4, 3, 8, 8, generator=generator) * 2 - 1).requires_grad_()
    return source, encode_mask(labels, 2), samples
