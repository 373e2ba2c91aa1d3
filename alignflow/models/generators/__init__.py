from .data_preprocessor import PairDataPreprocessor, decode_mask, encode_mask, mask_channels
from .few_shot_alignment import FewShotAlignment, load_stage1_weights
from .mask_conditioned_flow import MaskConditionedFlow

__all__ = ['FewShotAlignment', 'PairDataPreprocessor', 'MaskConditionedFlow',
           'load_stage1_weights', 'encode_mask', 'decode_mask', 'mask_channels']
