# maskflow_polyp_64px.py at 32 px with the 3k-iteration CPU schedule: the CPU-sized mask
# generator that pairs with stage1_polyp_32px-3k.py.
#   python tools/train.py configs/maskflow/maskflow_polyp_32px-3k.py
_base_ = [
    '../_base_/models/mask_flow_unet_tiny.py',
    '../_base_/datasets/polyp_32.py',
    '../_base_/schedules/flow_adamw_cosine_3k.py',
    '../_base_/default_runtime.py',
]
val_evaluator = [dict(type='FlowMatchingLossMetric'), dict(type='MaskStatisticsMetric')]
test_evaluator = val_evaluator
