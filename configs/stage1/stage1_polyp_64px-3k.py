# stage1_polyp_64px.py with the 3k-iteration CPU schedule: the stage 1 of the 64-px protocol
# (configs/benchmark/kvasir_to_clinicdb_64.py).
#   python tools/train.py configs/stage1/stage1_polyp_64px-3k.py
_base_ = [
    '../_base_/models/flow_unet_tiny.py',
    '../_base_/datasets/polyp.py',
    '../_base_/schedules/flow_adamw_cosine_3k.py',
    '../_base_/default_runtime.py',
]
