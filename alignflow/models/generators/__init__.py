from .data_preprocessor import PairDataPreprocessor, decode_mask, encode_mask, mask_channels
from .mask_conditioned_flow import MaskConditionedFlow

__all__ = ['PairDataPreprocessor', 'MaskConditionedFlow', 'encode_mask', 'decode_mask',
           'mask_channels']
