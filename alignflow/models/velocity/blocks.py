"""U-Net building blocks: time-conditioned residual block, resampling, and their container."""
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from .norm import group_norm


class ResBlock(nn.Module):
    """ADM residual block ``skip(x) + out(inject(in(x), emb))``.

    ``in`` is GroupNorm-SiLU-conv3x3 (to ``out_channels``); the time embedding is projected
    (SiLU-Linear) and injected either as adaptive GroupNorm ``norm(h) * (1 + scale) + shift``
    (``use_scale_shift_norm=True``) or added before the norm; ``out`` is
    [GroupNorm]-SiLU-Dropout-conv3x3. ``skip`` is the identity or a 1x1 conv when the channel
    count changes. Deviation from ADM: the last conv keeps the default initialisation (ADM
    zero-initialises it) and up/down-sampling lives in separate blocks, not inside the ResBlock.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        emb_channels: Time-embedding dimension.
        dropout: Dropout probability before the last conv.
        use_scale_shift_norm: Inject the embedding as AdaGN scale and shift.
        num_groups: Upper bound on the GroupNorm groups.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 emb_channels: int,
                 dropout: float = 0.0,
                 use_scale_shift_norm: bool = True,
                 num_groups: int = 32):
        super().__init__()
        self.use_scale_shift_norm = use_scale_shift_norm
        self.in_layers = nn.Sequential(
            group_norm(in_channels, num_groups), nn.SiLU(),
            nn.Conv2d(in_channels, out_channels, 3, padding=1))
        self.emb_proj = nn.Sequential(
            nn.SiLU(),
            nn.Linear(emb_channels, 2 * out_channels if use_scale_shift_norm else out_channels))
        self.out_norm = group_norm(out_channels, num_groups)
        self.out_layers = nn.Sequential(
            nn.SiLU(), nn.Dropout(dropout), nn.Conv2d(out_channels, out_channels, 3, padding=1))
        self.skip = (
            nn.Identity() if in_channels == out_channels else nn.Conv2d(
                in_channels, out_channels, 1))

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        """(B, C_in, H, W), (B, E) -> (B, C_out, H, W)."""
        h = self.in_layers(x)
        e = self.emb_proj(emb)[..., None, None].to(h.dtype)
        if self.use_scale_shift_norm:
            scale, shift = e.chunk(2, dim=1)
            h = self.out_norm(h) * (1 + scale) + shift
        else:
            h = self.out_norm(h + e)
        return self.skip(x) + self.out_layers(h)


class Downsample(nn.Module):
    """Halve H and W: 3x3 conv with stride 2 (``use_conv``) or 2x2 average pooling.

    (B, C, H, W) -> (B, C, H / 2, W / 2).
    """

    def __init__(self, channels: int, use_conv: bool = True):
        super().__init__()
        self.op = (
            nn.Conv2d(channels, channels, 3, stride=2, padding=1) if use_conv else nn.AvgPool2d(2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Upsample(nn.Module):
    """Double H and W: nearest-neighbour upsampling, then a 3x3 conv when ``use_conv``.

    (B, C, H, W) -> (B, C, 2H, 2W).
    """

    def __init__(self, channels: int, use_conv: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1) if use_conv else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode='nearest'))


class EmbedSequential(nn.Sequential):
    """Sequential container that hands the time embedding to the :class:`ResBlock` layers.

    With ``use_checkpoint`` the whole container is recomputed in the backward pass
    (``torch.utils.checkpoint``, non-reentrant) while training with gradients enabled, trading
    compute for activation memory.
    """

    def __init__(self, *layers: nn.Module, use_checkpoint: bool = False):
        super().__init__(*layers)
        self.use_checkpoint = use_checkpoint

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        if self.use_checkpoint and self.training and torch.is_grad_enabled():
            return checkpoint(self._run, x, emb, use_reentrant=False)
        return self._run(x, emb)

    def _run(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        for layer in self:
            x = layer(x, emb) if isinstance(layer, ResBlock) else layer(x)
        return x
