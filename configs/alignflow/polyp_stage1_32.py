# polyp_stage1.py at 32 px with a 3k-iteration schedule: the CPU-sized real-data stage 1 used
# for the evidence in docs/benchmarks.md (about 10 minutes on 2 cores).
_base_ = [
    '../_base_/models/flow_unet_tiny.py',
    '../_base_/datasets/polyp_32.py',
    '../_base_/schedules/flow_adamw_cosine_3k.py',
    '../_base_/default_runtime.py',
]
