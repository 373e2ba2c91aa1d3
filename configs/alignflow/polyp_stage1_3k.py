# polyp_stage1.py (64 px) with the 3k-iteration CPU schedule: the stage 1 of the downstream
# segmentation evidence in docs/benchmarks.md (about 40 minutes on 2 cores).
_base_ = [
    '../_base_/models/flow_unet_tiny.py',
    '../_base_/datasets/polyp.py',
    '../_base_/schedules/flow_adamw_cosine_3k.py',
    '../_base_/default_runtime.py',
]
