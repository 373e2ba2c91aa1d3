# Stage 1 on the procedural toy polyps ("source" look), 32 px, tiny U-Net: the CPU demo.
#   python tools/train.py configs/stage1/stage1_toy_32px.py
_base_ = [
    '../_base_/models/flow_unet_tiny.py',
    '../_base_/datasets/toy_polyp.py',
    '../_base_/schedules/flow_adamw_cosine_2k.py',
    '../_base_/default_runtime.py',
]
