from .data_preprocessor import PairDataPreprocessor, decode_mask, encode_mask, mask_channels
from .few_shot_alignment import FewShotAlignment, load_stage1_weights
from .flow_model import FlowMatchingModel
from .mask_conditioned_flow import MaskConditionedFlow
from .mask_flow import MaskFlow

__all__ = ['FewShotAlignment', 'FlowMatchingModel', 'PairDataPreprocessor',
           'MaskConditionedFlow', 'MaskFlow', 'load_stage1_weights', 'encode_mask',
           'decode_mask', 'mask_channels']
