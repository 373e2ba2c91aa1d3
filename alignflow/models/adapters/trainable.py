"""Fine-tune a named subset of a module's parameters, freezing the rest."""
import re
from typing import Sequence, Union

from torch import nn


def train_only(module: nn.Module, patterns: Union[str, Sequence[str]]) -> int:
    """Keep ``requires_grad`` on the parameters whose names match any regular expression of
    ``patterns`` (``re.search``) and freeze every other one.

    Example:
        >>> from torch import nn
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
        >>> train_only(net, [r'^1\\.'])
        2
        >>> [name for name, p in net.named_parameters() if p.requires_grad]
        ['1.weight', '1.bias']

    Returns:
        How many parameters stay trainable.

    Raises:
        ValueError: no parameter name matches (the message shows what names look like).
    """
    compiled = [re.compile(p) for p in ([patterns] if isinstance(patterns, str) else patterns)]
    selected = 0
    for name, param in module.named_parameters():
        keep = any(p.search(name) for p in compiled)
        param.requires_grad_(keep)
        selected += keep
    if not selected:
        example = next(iter(dict(module.named_parameters())), '<none>')
        raise ValueError(f'trainable={patterns} matches no generator parameter; names look '
                         f'like {example}')
    return selected
