# polyp_mask.py at 32 px with a 3k-iteration schedule: the CPU-sized mask generator that pairs
# with polyp_stage1_32.py for the evidence in docs/benchmarks.md (about 12 minutes on 2 cores).
_base_ = [
    '../_base_/models/mask_flow_unet_tiny.py',
    '../_base_/datasets/polyp_32.py',
    '../_base_/schedules/flow_adamw_cosine_3k.py',
    '../_base_/default_runtime.py',
]
val_evaluator = [dict(type='FlowMatchingLossMetric'), dict(type='MaskStatisticsMetric')]
test_evaluator = val_evaluator
