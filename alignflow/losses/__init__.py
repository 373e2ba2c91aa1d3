from .adaptive_weight import AdaptiveWeight
from .alignment_batch import AlignmentBatch
from .base import AlignmentLoss
from .flow_matching import FlowMatchingLoss
from .mask_effect_anchor import MaskEffectAnchorLoss
from .path_points import PathPoints
from .stage1_anchor import Stage1AnchorLoss

__all__ = ['AdaptiveWeight', 'AlignmentBatch', 'AlignmentLoss', 'FlowMatchingLoss',
           'MaskEffectAnchorLoss', 'PathPoints', 'Stage1AnchorLoss']
