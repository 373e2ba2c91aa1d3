"""Self-attention backend and block against a manual softmax(QK^T / sqrt(d)) V."""
import math

import pytest
import torch

import alignflow  # noqa: F401  (installs the mmcv compatibility layer first)
from alignflow.models.velocity import SelfAttention2d, dot_product_attention
from alignflow.models.velocity.norm import group_norm


def manual_attention(q, k, v):
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    return weights @ v


def test_dot_product_attention_matches_manual():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 4, 37, 16) for _ in range(3))
    torch.testing.assert_close(dot_product_attention(q, k, v), manual_attention(q, k, v))


@pytest.mark.parametrize('num_heads, head_channels', [(4, None), (1, None), (4, 8)])
def test_self_attention_block_matches_manual(num_heads, head_channels):
    torch.manual_seed(0)
    block = SelfAttention2d(32, num_heads=num_heads, head_channels=head_channels, num_groups=8)
    heads = block.num_heads
    assert heads == (32 // head_channels if head_channels else num_heads)
    x = torch.randn(2, 32, 5, 6)

    qkv = block.qkv(block.norm(x)).flatten(2)  # (B, 3C, N), channel order (three, heads, d)
    q, k, v = qkv.reshape(2, 3, heads, 32 // heads, 30).permute(1, 0, 2, 4, 3)
    out = manual_attention(q, k, v).permute(0, 1, 3, 2).reshape(2, 32, 5, 6)
    expected = x + block.proj(out)

    torch.testing.assert_close(block(x), expected, rtol=1e-5, atol=1e-5)


def test_self_attention_rejects_indivisible_heads():
    with pytest.raises(ValueError, match='num_heads'):
        SelfAttention2d(30, num_heads=4)
    with pytest.raises(ValueError, match='head_channels'):
        SelfAttention2d(32, head_channels=12)


@pytest.mark.parametrize('channels, num_groups, expected', [(64, 32, 32), (48, 32, 24),
                                                            (4, 32, 4), (7, 32, 7)])
def test_group_norm_clamps_groups(channels, num_groups, expected):
    assert group_norm(channels, num_groups).num_groups == expected
