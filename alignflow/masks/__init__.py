"""Mask post-processing (registry MASK_POSTPROCESSORS) and statistics of mask sets."""
from .postprocess import (Binarize, FillHoles, KeepLargestComponents, MaskPostprocessChain,
                          MaskRejected, MorphClose, MorphOpen, RejectByArea,
                          RejectByComponents, RemoveSmallComponents, SmoothBoundary)
from .resize import resize_mask
from .statistics import (component_count, flatten_masks, foreground_fraction, iou_matrix,
                         mean_pairwise_iou, nearest_iou)

__all__ = [
    'Binarize', 'FillHoles', 'KeepLargestComponents', 'MaskPostprocessChain', 'MaskRejected',
    'MorphClose', 'MorphOpen', 'RejectByArea', 'RejectByComponents', 'RemoveSmallComponents',
    'SmoothBoundary', 'component_count', 'flatten_masks', 'foreground_fraction', 'iou_matrix',
    'mean_pairwise_iou', 'nearest_iou', 'resize_mask'
]
