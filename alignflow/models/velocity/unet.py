"""Mask-conditioned ADM U-Net predicting the flow-matching velocity ``v(x_t, t, cond)``."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from alignflow.registry import MODELS
from .attention import SelfAttention2d
from .blocks import Downsample, EmbedSequential, ResBlock, Upsample
from .embeddings import TimestepEmbedding
from .norm import group_norm


@MODELS.register_module()
class ConditionalUNet(BaseModule):
    """ADM U-Net (Dhariwal & Nichol, "Diffusion Models Beat GANs", ``UNetModel``) as a
    velocity network, conditioned on a segmentation mask concatenated to the input.

    Layout, with ``L = len(channel_mults)`` levels and level ``i`` at width
    ``base_channels * channel_mults[i]`` and resolution ``H / 2**i``:

    * input conv on ``cat(x, cond)``;
    * encoder: per level ``num_res_blocks`` :class:`ResBlock` (+ self-attention if the level is
      in ``attention_levels``), then a :class:`Downsample` except at the last level;
    * middle: ResBlock - self-attention - ResBlock;
    * decoder: per level (deepest first) ``num_res_blocks + 1`` ResBlocks, each consuming one
      encoder skip by channel concatenation (+ attention), then an :class:`Upsample` except at
      level 0;
    * output GroupNorm - SiLU - conv3x3, zero-initialised when ``zero_init_output`` so the
      untrained network predicts zero velocity.

    The time ``t`` in [0, 1] is multiplied by ``time_embed_scale``, embedded sinusoidally
    (``base_channels`` features) and mapped by an MLP to ``4 * base_channels``; every ResBlock
    receives it (AdaGN scale-shift by default).

    Deviations from ADM: attention is placed by level index instead of downsampling rate; no
    class-label embedding (the mask enters through the input channels instead); only the output
    conv is zero-initialised (ADM also zeroes the last conv of every ResBlock and attention
    projection, which would make the time and condition paths inert until the first update);
    no up/down-sampling inside ResBlocks; attention via PyTorch SDPA / xformers.

    Reference sizes:

    * tiny: ``base_channels=32, channel_mults=(1, 2, 2), num_res_blocks=1,
      attention_levels=(2,)`` -- 1.19M parameters (in 3 + cond 1 channels); unit tests and the
      CPU toy demo at 32-64 px.
    * real: ``base_channels=128, channel_mults=(1, 1, 2, 2, 4, 4), num_res_blocks=2,
      attention_levels=(3, 4, 5), head_channels=64`` -- about 125M parameters; 128-256 px.

    (The constructor defaults give a mid-sized 19.4M-parameter network.)

    Args:
        in_channels: Image channels C of ``x``.
        cond_channels: Channels of the condition map (0 for an unconditional network).
        out_channels: Velocity channels; ``None`` means ``in_channels``.
        base_channels: Width of level 0.
        channel_mults: Width multiplier of each resolution level.
        num_res_blocks: ResBlocks per encoder level (decoder levels get one more).
        attention_levels: Indices into ``channel_mults`` of the levels with self-attention.
        num_heads: Attention heads (ignored when ``head_channels`` is set).
        head_channels: Channels per attention head.
        dropout: Dropout inside the ResBlocks.
        num_groups: GroupNorm groups, clamped to divide each channel count.
        time_embed_scale: Multiplier applied to ``t`` before the sinusoidal embedding.
        use_scale_shift_norm: Inject the time embedding as AdaGN scale-shift (else additive).
        conv_resample: Strided conv / nearest+conv resampling (else avg-pool / nearest).
        zero_init_output: Zero-initialise the output conv.
        use_checkpoint: Gradient checkpointing of each block while training.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: int = 3,
                 cond_channels: int = 1,
                 out_channels: Optional[int] = None,
                 base_channels: int = 64,
                 channel_mults: Sequence[int] = (1, 2, 2, 4),
                 num_res_blocks: int = 2,
                 attention_levels: Sequence[int] = (2, 3),
                 num_heads: int = 4,
                 head_channels: Optional[int] = None,
                 dropout: float = 0.0,
                 num_groups: int = 32,
                 time_embed_scale: float = 1000.0,
                 use_scale_shift_norm: bool = True,
                 conv_resample: bool = True,
                 zero_init_output: bool = True,
                 use_checkpoint: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        num_levels = len(channel_mults)
        if num_levels < 1 or num_res_blocks < 1:
            raise ValueError('channel_mults must be non-empty and num_res_blocks >= 1')
        bad_levels = [i for i in attention_levels if not 0 <= i < num_levels]
        if bad_levels:
            raise ValueError(f'attention_levels {bad_levels} out of range for '
                             f'{num_levels} levels (valid: 0..{num_levels - 1})')
        self.in_channels = in_channels
        self.cond_channels = cond_channels
        self.out_channels = in_channels if out_channels is None else out_channels
        self.downsample_factor = 2**(num_levels - 1)

        emb_channels = 4 * base_channels
        self.time_embed = TimestepEmbedding(base_channels, emb_channels, time_embed_scale)

        def res_block(c_in: int, c_out: int) -> ResBlock:
            return ResBlock(c_in, c_out, emb_channels, dropout, use_scale_shift_norm, num_groups)

        def attn_block(c: int) -> SelfAttention2d:
            return SelfAttention2d(c, num_heads, head_channels, num_groups)

        ch = base_channels
        self.input_blocks = nn.ModuleList(
            [EmbedSequential(nn.Conv2d(in_channels + cond_channels, ch, 3, padding=1))])
        skip_channels = [ch]
        self.level_output_indices: List[int] = []
        for level, mult in enumerate(channel_mults):
            for _ in range(num_res_blocks):
                layers = [res_block(ch, base_channels * mult)]
                ch = base_channels * mult
                if level in attention_levels:
                    layers.append(attn_block(ch))
                self.input_blocks.append(EmbedSequential(*layers, use_checkpoint=use_checkpoint))
                skip_channels.append(ch)
            self.level_output_indices.append(len(self.input_blocks) - 1)
            if level != num_levels - 1:
                self.input_blocks.append(EmbedSequential(Downsample(ch, conv_resample)))
                skip_channels.append(ch)

        self.middle_block = EmbedSequential(
            res_block(ch, ch), attn_block(ch), res_block(ch, ch), use_checkpoint=use_checkpoint)

        self.output_blocks = nn.ModuleList()
        for level, mult in reversed(list(enumerate(channel_mults))):
            for i in range(num_res_blocks + 1):
                layers = [res_block(ch + skip_channels.pop(), base_channels * mult)]
                ch = base_channels * mult
                if level in attention_levels:
                    layers.append(attn_block(ch))
                if level and i == num_res_blocks:
                    layers.append(Upsample(ch, conv_resample))
                self.output_blocks.append(EmbedSequential(*layers, use_checkpoint=use_checkpoint))

        self.out_norm = group_norm(ch, num_groups)
        self.out_conv = nn.Conv2d(ch, self.out_channels, 3, padding=1)
        if zero_init_output:
            nn.init.zeros_(self.out_conv.weight)
            nn.init.zeros_(self.out_conv.bias)

    def forward(self,
                x: torch.Tensor,
                t: Union[torch.Tensor, float],
                cond: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Predict the velocity.

        Args:
            x: (B, in_channels, H, W) state ``x_t``; H and W divisible by
                ``self.downsample_factor``.
            t: (B,) times in [0, 1], or a python float / one-element tensor for the whole batch.
            cond: (B, cond_channels, H, W) condition (mask as +-1, 0 = null condition for
                classifier-free guidance), or ``None`` for the null condition.

        Returns:
            (B, out_channels, H, W) velocity.
        """
        skips, h, emb = self._encode(x, t, cond)
        for block in self.output_blocks:
            h = block(torch.cat([h, skips.pop()], dim=1), emb)
        return self.out_conv(F.silu(self.out_norm(h)))

    def forward_features(self,
                         x: torch.Tensor,
                         t: Union[torch.Tensor, float],
                         cond: Optional[torch.Tensor] = None) -> List[torch.Tensor]:
        """Encoder features, for using the U-Net as a feature extractor.

        Arguments as in :meth:`forward`.

        Returns:
            ``len(channel_mults) + 1`` maps: for each level ``i`` the output of its last encoder
            block (before downsampling), (B, base_channels * channel_mults[i], H / 2**i,
            W / 2**i), then the middle-block output at the deepest resolution.
        """
        skips, h, _ = self._encode(x, t, cond)
        return [skips[i] for i in self.level_output_indices] + [h]

    def _encode(self, x: torch.Tensor, t: Union[torch.Tensor, float],
                cond: Optional[torch.Tensor]) -> Tuple[List[torch.Tensor], torch.Tensor,
                                                       torch.Tensor]:
        """Run input conv, encoder and middle block.

        Returns:
            (skips, h, emb): the output of every input block (consumed by the decoder in
            reverse order), the middle-block output and the (B, 4 * base_channels) time
            embedding.
        """
        h = self._input_with_cond(x, cond)
        emb = self.time_embed(self._batch_times(t, x))
        skips = []
        for block in self.input_blocks:
            h = block(h, emb)
            skips.append(h)
        return skips, self.middle_block(h, emb), emb

    def _input_with_cond(self, x: torch.Tensor, cond: Optional[torch.Tensor]) -> torch.Tensor:
        """Validate ``x`` and ``cond`` and concatenate them along channels."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'x must be (B, {self.in_channels}, H, W), got {tuple(x.shape)}')
        b, _, height, width = x.shape
        f = self.downsample_factor
        if height % f or width % f:
            ok_h, ok_w = -(-height // f) * f, -(-width // f) * f
            raise ValueError(
                f'input size {height}x{width} is not divisible by {f} (2**(levels - 1) for '
                f'{len(self.level_output_indices)} levels); use e.g. {ok_h}x{ok_w}')
        if self.cond_channels == 0:
            if cond is not None:
                raise ValueError('cond given but the network has cond_channels=0')
            return x
        if cond is None:
            cond = x.new_zeros(b, self.cond_channels, height, width)
        elif tuple(cond.shape) != (b, self.cond_channels, height, width):
            raise ValueError(f'cond must be {(b, self.cond_channels, height, width)}, '
                             f'got {tuple(cond.shape)}')
        return torch.cat([x, cond.to(x.dtype)], dim=1)

    @staticmethod
    def _batch_times(t: Union[torch.Tensor, float], x: torch.Tensor) -> torch.Tensor:
        """Turn ``t`` (scalar, one-element or (B,)) into a (B,) tensor on ``x``'s device."""
        t = torch.as_tensor(t, device=x.device)
        b = x.shape[0]
        if t.numel() == 1:
            return t.reshape(()).expand(b)
        if t.numel() != b:
            raise ValueError(f't must be a scalar or have {b} elements, got {tuple(t.shape)}')
        return t.reshape(b)
