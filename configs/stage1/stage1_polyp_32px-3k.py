# stage1_polyp_64px.py at 32 px with the 3k-iteration CPU schedule: the CPU-sized real-data
# stage 1 of stage2_clinicdb_5shot_32px.py.
#   python tools/train.py configs/stage1/stage1_polyp_32px-3k.py
_base_ = [
    '../_base_/models/flow_unet_tiny.py',
    '../_base_/datasets/polyp_32.py',
    '../_base_/schedules/flow_adamw_cosine_3k.py',
    '../_base_/default_runtime.py',
]
