"""Velocity networks ``v(x_t, t, cond)`` for flow matching."""
from .attention import SelfAttention2d, dot_product_attention
from .blocks import Downsample, EmbedSequential, ResBlock, Upsample
from .embeddings import TimestepEmbedding, sinusoidal_embedding
from .unet import ConditionalUNet

__all__ = [
    'ConditionalUNet', 'Downsample', 'EmbedSequential', 'ResBlock', 'SelfAttention2d',
    'TimestepEmbedding', 'Upsample', 'dot_product_attention', 'sinusoidal_embedding'
]
