"""Segmentation backbones registered for mmsegmentation (``MODELS``)."""
from .efficientnet_lite import EfficientNetLiteBackbone

__all__ = ['EfficientNetLiteBackbone']
