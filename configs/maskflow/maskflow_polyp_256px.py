# maskflow_polyp_64px.py at 256 px (GPU): the mask generator of the 256-px chain, whose masks
# stage2_*_256px.py paints with no resizing in between.
#   python tools/train.py configs/maskflow/maskflow_polyp_256px.py --amp
_base_ = [
    '../_base_/models/mask_flow_unet_tiny.py',
    '../_base_/datasets/polyp_256.py',
    '../_base_/schedules/flow_adamw_cosine_20k.py',
    '../_base_/default_runtime.py',
]
val_evaluator = [dict(type='FlowMatchingLossMetric'), dict(type='MaskStatisticsMetric')]
test_evaluator = val_evaluator
