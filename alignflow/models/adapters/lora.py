"""Low-rank adaptation (LoRA, Hu et al. 2021) of Conv2d and Linear layers.

``W x  ->  W x + (alpha / rank) * B (A x)`` with the base ``W`` frozen, ``A`` the trainable
down-projection to ``rank`` channels and ``B`` the up-projection, zero-initialised so the
adapted model starts exactly equal to the base. Hand-written (about 60 lines) rather than taken
from ``peft``, which is not a dependency and targets transformers-style modules by name.
"""
import math
import re
from typing import List, Sequence

import torch
from torch import nn


class _LoRALayer(nn.Module):
    """``base(x) + scale * up(down(x))`` around a frozen ``base``; ``up`` starts at zero."""

    def __init__(self, base: nn.Module, down: nn.Module, up: nn.Module, rank: int,
                 alpha: float):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.lora_down, self.lora_up = down, up
        nn.init.kaiming_uniform_(self.lora_down.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_up.weight)
        self.scale = alpha / rank

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.scale * self.lora_up(self.lora_down(x))


class LoRAConv2d(_LoRALayer):
    """LoRA around a frozen ``nn.Conv2d``: (B, C_in, H, W) -> (B, C_out, H', W'), as the base.

    ``down`` is a conv with the base's kernel, stride, padding, dilation and padding mode and
    ``rank`` output channels; ``up`` a 1x1 conv to the base's output channels. Both are linear,
    so the update folds into the base kernel (:meth:`merge`).

    Args:
        base: the layer to adapt (``groups=1`` only).
        rank: inner channels r of the update.
        alpha: the update is scaled by ``alpha / rank``.
    """

    def __init__(self, base: nn.Conv2d, rank: int, alpha: float):
        if base.groups != 1:
            raise ValueError(f'LoRAConv2d supports groups=1 convs only, got groups={base.groups}')
        down = nn.Conv2d(base.in_channels, rank, base.kernel_size, base.stride, base.padding,
                         base.dilation, bias=False, padding_mode=base.padding_mode)
        super().__init__(base, down, nn.Conv2d(rank, base.out_channels, 1, bias=False), rank,
                         alpha)

    @torch.no_grad()
    def merge(self) -> nn.Conv2d:
        """The base conv with ``scale * up @ down`` added to its (C_out, C_in, k, k) kernel."""
        delta = torch.einsum('or,rikl->oikl', self.lora_up.weight[:, :, 0, 0],
                             self.lora_down.weight)
        self.base.weight += self.scale * delta.to(self.base.weight.dtype)
        return self.base


class LoRALinear(_LoRALayer):
    """LoRA around a frozen ``nn.Linear``: (..., in_features) -> (..., out_features);
    arguments as :class:`LoRAConv2d`."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        super().__init__(base, nn.Linear(base.in_features, rank, bias=False),
                         nn.Linear(rank, base.out_features, bias=False), rank, alpha)

    @torch.no_grad()
    def merge(self) -> nn.Linear:
        """The base layer with ``scale * up @ down`` added to its (out, in) weight."""
        delta = self.lora_up.weight @ self.lora_down.weight
        self.base.weight += self.scale * delta.to(self.base.weight.dtype)
        return self.base


LORA_LAYERS = {nn.Conv2d: LoRAConv2d, nn.Linear: LoRALinear}


def inject_lora(module: nn.Module, targets: Sequence[str], rank: int = 4,
                alpha: float = 4.0) -> List[str]:
    """Wrap, in place, every Conv2d / Linear of ``module`` whose name (as in
    ``module.named_modules()``, e.g. ``output_blocks.0.1.qkv``) matches one of the regular
    expressions ``targets`` (``re.search``) in a LoRA layer, and freeze all but the LoRA
    parameters.

    Returns:
        The names of the wrapped layers.

    Raises:
        ValueError: when a pattern matches no Conv2d / Linear layer, or ``module`` already has
            LoRA layers.
    """
    if any(isinstance(m, _LoRALayer) for m in module.modules()):
        raise ValueError('module already has LoRA layers; merge_lora() it first')
    layers = {name: m for name, m in module.named_modules() if name and type(m) in LORA_LAYERS}
    for pattern in targets:
        if not any(re.search(pattern, name) for name in layers):
            raise ValueError(f'LoRA target {pattern!r} matches no Conv2d/Linear layer; names '
                             f'look like {list(layers)[:3]}')
    wrapped = {name: LORA_LAYERS[type(layer)](layer, rank, alpha)
               for name, layer in layers.items() if any(re.search(p, name) for p in targets)}
    module.requires_grad_(False)  # before attaching the wrappers, whose updates stay trainable
    for name, layer in wrapped.items():
        parent, _, child = name.rpartition('.')
        setattr(module.get_submodule(parent), child, layer)
    return list(wrapped)


def merge_lora(module: nn.Module) -> nn.Module:
    """Fold every LoRA layer of ``module`` into its base layer, in place, so ``module`` has
    the architecture and state-dict keys it had before :func:`inject_lora`. Returns ``module``.
    """
    names = [n for n, m in module.named_modules() if isinstance(m, _LoRALayer)]
    for name in names:
        parent, _, child = name.rpartition('.')
        parent = module.get_submodule(parent)
        setattr(parent, child, getattr(parent, child).merge())
    return module
