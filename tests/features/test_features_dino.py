"""DINO ViT features: a DINO-layout checkpoint gives the same features as DINO's own ViT."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import alignflow  # noqa: F401
from alignflow.evaluation import build_feature_space
from alignflow.features import DINO_WEIGHTS_ENV, DINOViTFeatures, DINOWeightsUnavailable
from alignflow.features.dino import IMAGENET_MEAN, IMAGENET_STD, timm_vit_to_mmseg

DIM, HEADS, PATCH = 384, 6, 16  # vit_small_16


class ReferenceAttention(nn.Module):
    """DINO's ``vision_transformer.Attention``: one qkv projection, heads split after it."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(DIM, 3 * DIM)
        self.proj = nn.Linear(DIM, DIM)

    def forward(self, x):
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1) * (c // HEADS) ** -0.5).softmax(-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class ReferenceBlock(nn.Module):

    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(DIM, eps=1e-6), nn.LayerNorm(DIM, eps=1e-6)
        self.attn = ReferenceAttention()
        self.mlp = nn.Module()
        self.mlp.fc1, self.mlp.fc2 = nn.Linear(DIM, 4 * DIM), nn.Linear(4 * DIM, DIM)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp.fc2(F.gelu(self.mlp.fc1(self.norm2(x))))


class ReferenceViT(nn.Module):
    """DINO's ViT-S/16 with its parameter names; returns (class token, mean patch token)."""

    def __init__(self, grid):
        super().__init__()
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3, DIM, PATCH, stride=PATCH)
        self.cls_token = nn.Parameter(torch.randn(1, 1, DIM) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, grid * grid + 1, DIM) * 0.02)
        self.blocks = nn.ModuleList(ReferenceBlock() for _ in range(12))
        self.norm = nn.LayerNorm(DIM, eps=1e-6)
        with torch.no_grad():  # non-trivial LayerNorm affine so a mis-mapped norm shows
            for module in self.modules():
                if isinstance(module, nn.LayerNorm):
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.normal_(0, 0.1)

    def forward(self, x):
        x = self.patch_embed.proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(len(x), -1, -1), x], 1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        x = self.norm(x)
        return x[:, 0], x[:, 1:].mean(1)


@pytest.fixture(scope='module')
def reference():
    torch.manual_seed(0)
    return ReferenceViT(grid=2).eval()


def _save(model, path, **extra):
    torch.save({**model.state_dict(), **extra}, path)
    return str(path)


def test_dino_checkpoint_gives_dinos_features(reference, tmp_path):
    path = _save(reference, tmp_path / 'dino.pth', **{'head.weight': torch.zeros(1)})
    features = DINOViTFeatures(weights=path, input_size=32, pool='cls_mean')
    assert features.has_pretrained_weights and features.feature_dim == 2 * DIM
    images = torch.rand(2, 3, 32, 32) * 2 - 1
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(
        1, 3, 1, 1)
    with torch.no_grad():
        cls_token, mean_token = reference(((images + 1) / 2 - mean) / std)
        torch.testing.assert_close(features(images), torch.cat([cls_token, mean_token], 1),
                                   rtol=1e-4, atol=1e-4)
        only_cls = DINOViTFeatures(weights=path, input_size=32)(images)
    torch.testing.assert_close(only_cls, cls_token, rtol=1e-4, atol=1e-4)


def test_position_embedding_is_resized_to_the_input(tmp_path):
    torch.manual_seed(1)
    path = _save(ReferenceViT(grid=14), tmp_path / 'dino224.pth')  # DINO's 224 px release
    features = DINOViTFeatures(weights=path, input_size=64)
    assert features.vit.pos_embed.shape == (1, 4 * 4 + 1, DIM)
    assert torch.isfinite(features(torch.zeros(1, 3, 48, 48))).all()


def test_renaming_covers_every_parameter(reference):
    renamed = timm_vit_to_mmseg({**reference.state_dict(), 'head.bias': torch.zeros(1)})
    expected = DINOViTFeatures(random_init=True, input_size=32).vit.state_dict()
    assert set(renamed) == set(expected)


def test_random_init_is_seeded_and_leaves_the_global_rng_alone():
    state = torch.random.get_rng_state()
    first = DINOViTFeatures(random_init=True, seed=1, input_size=32)
    assert torch.equal(torch.random.get_rng_state(), state)
    same = DINOViTFeatures(random_init=True, seed=1, input_size=32)
    other = DINOViTFeatures(random_init=True, seed=2, input_size=32)
    weight = first.vit.layers[3].ffn.layers[1].weight
    assert torch.equal(weight, same.vit.layers[3].ffn.layers[1].weight)
    assert not torch.equal(weight, other.vit.layers[3].ffn.layers[1].weight)
    assert not first.has_pretrained_weights


def test_missing_weights_explain_how_to_get_them(tmp_path, monkeypatch):
    missing = str(tmp_path / 'nowhere.pth')
    monkeypatch.setenv(DINO_WEIGHTS_ENV, missing)
    for build in (lambda: DINOViTFeatures(input_size=32),
                  lambda: build_feature_space('dino', weights=missing)):
        with pytest.raises(DINOWeightsUnavailable) as info:
            build()
        message = str(info.value)
        assert missing in message and DINO_WEIGHTS_ENV in message
        assert 'dino_deitsmall16_pretrain.pth' in message and 'random_init=True' in message


def test_refuses_other_checkpoints_and_settings(reference, tmp_path):
    dinov2 = _save(reference, tmp_path / 'dinov2.pth', **{'blocks.0.ls1.gamma': torch.ones(DIM)})
    with pytest.raises(ValueError, match='DINOv2'):
        DINOViTFeatures(weights=dinov2, input_size=32)
    with pytest.raises(RuntimeError, match='vit_base_16'):
        DINOViTFeatures(arch='vit_base_16', weights=_save(reference, tmp_path / 's.pth'),
                        input_size=32)
    with pytest.raises(ValueError, match='multiple of the patch size 16'):
        DINOViTFeatures(random_init=True, input_size=40)
    with pytest.raises(ValueError, match='unknown DINO arch'):
        DINOViTFeatures(arch='vit_large_14', random_init=True)
    with pytest.raises(ValueError, match='not both'):
        DINOViTFeatures(weights=dinov2, random_init=True)
