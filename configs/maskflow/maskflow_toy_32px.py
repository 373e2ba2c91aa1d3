# A generator of new toy polyp masks (MaskFlow), trained on the masks of the toy source set,
# 32 px: the CPU demo of mask generation. Grids: sampled map | post-processed | real masks.
#   python tools/train.py configs/maskflow/maskflow_toy_32px.py
_base_ = [
    '../_base_/models/mask_flow_unet_tiny.py',
    '../_base_/datasets/toy_polyp.py',
    '../_base_/schedules/flow_adamw_cosine_2k.py',
    '../_base_/default_runtime.py',
]
# Held-out flow-matching loss, and the generated masks' statistics against the real ones.
val_evaluator = [dict(type='FlowMatchingLossMetric'), dict(type='MaskStatisticsMetric')]
test_evaluator = val_evaluator
