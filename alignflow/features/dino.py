"""DINO's self-supervised ViT (Caron et al., 2021) as a frozen feature extractor, built on
mmseg's ``VisionTransformer``.

DINO's checkpoints (https://github.com/facebookresearch/dino, Apache-2.0) use timm's parameter
names (``blocks.N.attn.qkv``, ``blocks.N.mlp.fc1`` ...); mmseg's ViT names the same tensors
``layers.N.attn.attn.in_proj_*``, ``layers.N.ffn.layers.0.0`` .... mmseg ships that renaming
only as a script outside its package (``tools/model_converters/vit2mmseg.py``), so
:func:`timm_vit_to_mmseg` restates it here.
"""
import os
from collections import OrderedDict
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmengine.runner import CheckpointLoader
from mmseg.models.backbones import VisionTransformer

from alignflow.registry import FEATURE_EXTRACTORS
from .base import FeatureExtractor, weights_unavailable_message

DINO_URL = 'https://dl.fbaipublicfiles.com/dino/dino_{name}_pretrain/dino_{name}_pretrain.pth'
# arch: (embed dims, heads, patch size, name of DINO's release)
DINO_ARCHS = {
    'vit_small_16': (384, 6, 16, 'deitsmall16'),
    'vit_small_8': (384, 6, 8, 'deitsmall8'),
    'vit_base_16': (768, 12, 16, 'vitbase16'),
    'vit_base_8': (768, 12, 8, 'vitbase8'),
}
DINO_WEIGHTS_ENV = 'ALIGNFLOW_DINO_WEIGHTS'
POOLS = ('cls', 'mean', 'cls_mean')
# ImageNet statistics of images in [0, 1], which DINO was trained on.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
NUM_LAYERS = 12


class DINOWeightsUnavailable(FileNotFoundError):
    """DINO's weights could neither be found locally nor downloaded."""


def timm_vit_to_mmseg(state_dict: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Rename a timm-layout ViT state dict (DINO's release) to mmseg's ``VisionTransformer``
    names; a classification ``head`` is dropped."""
    renamed = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('head'):
            continue
        if key.startswith('norm.'):
            key = 'ln1.' + key[len('norm.'):]
        elif key.startswith('patch_embed.proj'):
            key = key.replace('patch_embed.proj', 'patch_embed.projection')
        elif key.startswith('blocks.'):
            key = (key.replace('blocks.', 'layers.', 1).replace('.norm', '.ln')
                   .replace('mlp.fc1', 'ffn.layers.0.0').replace('mlp.fc2', 'ffn.layers.1')
                   .replace('attn.qkv.', 'attn.attn.in_proj_')
                   .replace('attn.proj', 'attn.attn.out_proj'))
        renamed[key] = value
    return renamed


@FEATURE_EXTRACTORS.register_module()
class DINOViTFeatures(FeatureExtractor):
    """Final-layer features of a DINO ViT: (B, 3, H, W) in [-1, 1] -> (B, D).

    Images are resized (bicubic) to ``input_size`` x ``input_size``, mapped to [0, 1] and
    normalised with ImageNet's mean and std, as DINO's evaluation does; the position
    embedding is resized once at load time when ``input_size`` differs from the checkpoint's
    224. ``pool='cls'`` is DINO's image representation (the class token after the final
    LayerNorm, D = embed dims), ``'mean'`` the mean of the patch tokens, ``'cls_mean'`` both
    (2 x embed dims).

    Weights are taken from, in this order: ``weights`` (a local path or URL of a DINO
    checkpoint, timm layout), the environment variable ``ALIGNFLOW_DINO_WEIGHTS``, then DINO's
    release for ``arch`` (downloaded once into the torch hub cache by mmengine's
    ``CheckpointLoader``); without them :class:`DINOWeightsUnavailable` says how to get them.
    DINOv2 checkpoints (LayerScale, register tokens, patch 14) have another layout and are
    refused. ``random_init=True`` builds a seeded random network (tests, or a feature space
    that must not be called DINO); :attr:`has_pretrained_weights` records which holds.

    Args:
        arch: One of :data:`DINO_ARCHS` (ViT-S or ViT-B, patch 16 or 8).
        weights: Path or URL of the checkpoint.
        random_init: Random weights, nothing loaded (``weights`` must then be None).
        seed: Seed of the random weights.
        input_size: Side the images are resized to (a multiple of the patch size).
        pool: ``'cls'``, ``'mean'`` or ``'cls_mean'``.
    """

    def __init__(self,
                 arch: str = 'vit_small_16',
                 weights: Optional[str] = None,
                 random_init: bool = False,
                 seed: int = 0,
                 input_size: int = 224,
                 pool: str = 'cls') -> None:
        super().__init__()
        if arch not in DINO_ARCHS:
            raise ValueError(f'unknown DINO arch {arch!r}; choose from {sorted(DINO_ARCHS)}')
        if pool not in POOLS:
            raise ValueError(f'pool must be one of {POOLS}, got {pool!r}')
        if random_init and weights is not None:
            raise ValueError('pass either weights=... or random_init=True, not both')
        embed_dims, heads, patch, self._release = DINO_ARCHS[arch]
        if input_size % patch:
            raise ValueError(f'input_size must be a multiple of the patch size {patch} of '
                             f'{arch}, got {input_size}')
        self.arch, self.input_size, self.pool, self.embed_dims = arch, input_size, pool, embed_dims
        # mmseg's ViT draws its initial weights from the global RNG: seed a forked one.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.vit = VisionTransformer(
                img_size=input_size, patch_size=patch, embed_dims=embed_dims,
                num_layers=NUM_LAYERS, num_heads=heads, qkv_bias=True, patch_bias=True,
                with_cls_token=True, output_cls_token=True, final_norm=True,
                norm_cfg=dict(type='LN', eps=1e-6))
            if random_init:
                self.vit.init_weights()
        if not random_init:
            self._load(weights or os.environ.get(DINO_WEIGHTS_ENV) or self.release_url)
        self.has_pretrained_weights = not random_init
        self.register_buffer('mean', torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor(IMAGENET_STD).view(1, 3, 1, 1),
                             persistent=False)
        self._freeze()

    @property
    def release_url(self) -> str:
        return DINO_URL.format(name=self._release)

    @property
    def feature_dim(self) -> int:
        return self.embed_dims * (2 if self.pool == 'cls_mean' else 1)

    def extract(self, images: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(images, size=(self.input_size, self.input_size), mode='bicubic',
                          align_corners=False)
        x = ((x + 1.0) / 2.0 - self.mean) / self.std
        patch_map, cls_token = self.vit(x)[-1]  # (B, D, h, w), (B, D)
        if self.pool == 'cls':
            return cls_token
        mean_token = patch_map.mean(dim=(2, 3))
        return mean_token if self.pool == 'mean' else torch.cat([cls_token, mean_token], 1)

    def _load(self, source: str) -> None:
        """Load a DINO checkpoint (timm layout) from a path or URL, strictly."""
        try:
            checkpoint = CheckpointLoader.load_checkpoint(source, map_location='cpu')
        except OSError as error:  # missing file, no network (URLError), HTTP error
            raise DINOWeightsUnavailable(weights_unavailable_message(
                'DINO', source, error, self.release_url, DINO_WEIGHTS_ENV)) from error
        state_dict = checkpoint.get('state_dict', checkpoint)
        if any('.ls1.' in key or key == 'register_tokens' for key in state_dict):
            raise ValueError(f'{source} looks like a DINOv2 checkpoint (LayerScale / register '
                             f'tokens); DINOViTFeatures loads DINO (v1) ViTs: {self.release_url}')
        state_dict = timm_vit_to_mmseg(state_dict)
        pos_embed = state_dict.get('pos_embed')
        if pos_embed is not None and pos_embed.shape != self.vit.pos_embed.shape:
            side = int((pos_embed.shape[1] - 1) ** 0.5)
            grid = self.input_size // self.vit.patch_size
            state_dict['pos_embed'] = self.vit.resize_pos_embed(
                pos_embed, (grid, grid), (side, side), self.vit.interpolate_mode)
        try:
            self.vit.load_state_dict(state_dict, strict=True)
        except RuntimeError as error:
            raise RuntimeError(f'{source} does not hold the weights of a DINO {self.arch} '
                               f'(from {self.release_url}): {error}') from error
