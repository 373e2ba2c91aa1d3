import copy

import pytest
import torch
from torch import nn

from alignflow.models.adapters import LoRAConv2d, LoRALinear, inject_lora, merge_lora
from alignflow.models.velocity import ConditionalUNet

TARGETS = [r'\.(qkv|proj)$', r'^output_blocks\.\d+\.\d+\.(in_layers\.2|skip|conv)$',
           r'emb_proj\.1$', r'^input_blocks\.2\.0\.op$']


def unet_and_inputs():
    torch.manual_seed(0)
    net = ConditionalUNet(base_channels=16, channel_mults=(1, 2), num_res_blocks=1,
                          attention_levels=(1, ), num_heads=2)
    nn.init.normal_(net.out_conv.weight, std=0.02)
    return net, (torch.randn(2, 3, 16, 16), torch.rand(2), torch.randn(2, 1, 16, 16))


def test_lora_starts_equal_to_the_base_and_trains_only_the_updates():
    net, inputs = unet_and_inputs()
    base = copy.deepcopy(net)
    names = inject_lora(net, TARGETS, rank=2, alpha=4.0)
    assert 'middle_block.1.qkv' in names and 'input_blocks.2.0.op' in names  # strided conv
    assert isinstance(net.output_blocks[0][0].emb_proj[1], LoRALinear)
    assert isinstance(net.output_blocks[0][0].in_layers[2], LoRAConv2d)
    assert 'input_blocks.1.0.in_layers.2' not in names and 'out_conv' not in names
    assert torch.equal(net(*inputs), base(*inputs))
    trainable = [n for n, p in net.named_parameters() if p.requires_grad]
    assert trainable and all('.lora_' in n for n in trainable)

    frozen = {n: p.clone() for n, p in net.named_parameters() if not p.requires_grad}
    optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-2)
    weights = torch.randn(2, 3, 16, 16)
    for _ in range(2):  # two steps, so that the down-projections move as well
        optimizer.zero_grad()
        (net(*inputs) * weights).mean().backward()
        optimizer.step()
    assert not torch.allclose(net(*inputs), base(*inputs), atol=1e-4)
    assert all(torch.equal(p, frozen[n]) for n, p in net.named_parameters() if n in frozen)

    with torch.no_grad():
        adapted = net(*inputs)
        merged = merge_lora(net)
        assert torch.allclose(merged(*inputs), adapted, atol=1e-5)
    assert merged.state_dict().keys() == base.state_dict().keys()
    assert not any(isinstance(m, (LoRAConv2d, LoRALinear)) for m in merged.modules())


def test_inject_refuses_unmatched_patterns_grouped_convs_and_double_injection():
    net, _ = unet_and_inputs()
    with pytest.raises(ValueError, match="'no_such_layer' matches no Conv2d/Linear"):
        inject_lora(net, [r'\.qkv$', 'no_such_layer'])
    assert not any(isinstance(m, LoRAConv2d) for m in net.modules())  # nothing half-done
    with pytest.raises(ValueError, match='groups=1 convs only, got groups=2'):
        inject_lora(nn.Sequential(nn.Conv2d(4, 4, 3, groups=2)), ['0'])
    inject_lora(net, [r'\.qkv$'])
    with pytest.raises(ValueError, match='already has LoRA layers'):
        inject_lora(net, [r'\.proj$'])
