"""ConditionalUNet: shapes, initialisation, conditioning, gradients, features, registry."""
import pytest
import torch
from torch import nn

import alignflow  # noqa: F401  (installs the mmcv compatibility layer first)
from alignflow.models.velocity import ConditionalUNet
from alignflow.registry import MODELS

TINY = dict(base_channels=32, channel_mults=(1, 2, 2), num_res_blocks=1, attention_levels=(2,))
# Documented in the ConditionalUNet docstring: 1.19M parameters.
TINY_PARAM_RANGE = (1.0e6, 1.4e6)


def tiny(**overrides):
    torch.manual_seed(0)
    return ConditionalUNet(**{**TINY, **overrides})


def randomise_output(model):
    """Undo the zero initialisation of the output conv."""
    nn.init.normal_(model.out_conv.weight, std=0.05)
    nn.init.normal_(model.out_conv.bias, std=0.05)
    return model


def inputs(b=2, c=3, h=16, w=16, cond_channels=1):
    torch.manual_seed(1)
    cond = torch.randn(b, cond_channels, h, w).sign() if cond_channels else None
    return torch.randn(b, c, h, w), torch.rand(b), cond


@pytest.mark.parametrize('cfg, size, with_cond', [
    ({}, (32, 32), True),
    ({}, (16, 48), False),
    (dict(in_channels=1, cond_channels=3, out_channels=2), (24, 8), True),
    (dict(cond_channels=0, channel_mults=(1, 2), attention_levels=(0, 1), head_channels=8,
          num_res_blocks=2, use_scale_shift_norm=False, conv_resample=False), (6, 10), False),
])
def test_output_shape(cfg, size, with_cond):
    model = tiny(**cfg)
    x, t, cond = inputs(c=model.in_channels, h=size[0], w=size[1],
                        cond_channels=model.cond_channels)
    out = model(x, t, cond if with_cond else None)
    assert out.shape == (2, model.out_channels, *size)


def test_zero_init_output():
    model = tiny()
    out = model(*inputs())
    assert torch.count_nonzero(out) == 0
    assert torch.count_nonzero(tiny(zero_init_output=False)(*inputs())) > 0


def test_scalar_time_broadcasts():
    model = randomise_output(tiny()).eval()
    x, _, cond = inputs()
    expected = model(x, torch.full((2, ), 0.3), cond)
    for t in (0.3, torch.tensor(0.3), torch.tensor([0.3])):
        torch.testing.assert_close(model(x, t, cond), expected)
    with pytest.raises(ValueError, match='elements'):
        model(x, torch.rand(3), cond)


def test_time_and_condition_change_output():
    model = randomise_output(tiny()).eval()
    x, t, cond = inputs()
    with torch.no_grad():
        out = model(x, t, cond)
        assert not torch.allclose(out, model(x, 1 - t, cond), atol=1e-4)
        assert not torch.allclose(out, model(x, t, -cond), atol=1e-4)
        # None is the null condition: zeros.
        torch.testing.assert_close(model(x, t, None), model(x, t, torch.zeros_like(cond)))
        assert not torch.allclose(out, model(x, t, None), atol=1e-4)


def test_gradients_reach_all_parameters():
    model = randomise_output(tiny())
    x, t, cond = inputs()
    model(x, t, cond).square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert not missing


def test_checkpointing_gives_same_gradients():
    x, t, cond = inputs()
    grads = []
    for use_checkpoint in (False, True):
        model = randomise_output(tiny(use_checkpoint=use_checkpoint)).train()
        model(x, t, cond).square().mean().backward()
        grads.append([p.grad for p in model.parameters()])
    for g0, g1 in zip(*grads):
        torch.testing.assert_close(g0, g1)


def test_invalid_inputs_raise():
    model = tiny()  # 3 levels: sizes must be divisible by 4
    with pytest.raises(ValueError, match=r'30x32.*divisible by 4.*32x32'):
        model(torch.randn(1, 3, 30, 32), 0.5)
    with pytest.raises(ValueError, match='cond must be'):
        model(torch.randn(1, 3, 16, 16), 0.5, torch.zeros(1, 2, 16, 16))
    with pytest.raises(ValueError, match='x must be'):
        model(torch.randn(1, 4, 16, 16), 0.5)
    with pytest.raises(ValueError, match='attention_levels'):
        ConditionalUNet(**{**TINY, 'attention_levels': (3, )})


def test_forward_features():
    model = tiny()
    feats = model.forward_features(*inputs(h=16, w=32))
    assert [tuple(f.shape) for f in feats] == [(2, 32, 16, 32), (2, 64, 8, 16), (2, 64, 4, 8),
                                               (2, 64, 4, 8)]


def test_registry_build():
    model = MODELS.build(dict(type='ConditionalUNet', **TINY, cond_channels=2))
    assert isinstance(model, ConditionalUNet)
    x, t, cond = inputs(cond_channels=2)
    assert model(x, t, cond).shape == x.shape


def test_tiny_param_count():
    n = sum(p.numel() for p in tiny().parameters())
    assert TINY_PARAM_RANGE[0] < n < TINY_PARAM_RANGE[1]
