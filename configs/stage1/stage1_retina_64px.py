# Stage 1 on a retinal vessel dataset in the DRIVE layout, 64 px, tiny U-Net (runs on a CPU).
#   python tools/train.py configs/stage1/stage1_retina_64px.py \
#       --cfg-options train_dataloader.dataset.data_root=/data/CHASE_DB1 \
#                     val_dataloader.dataset.data_root=/data/CHASE_DB1
# On a GPU, use flow_unet_base.py and a 256-px retinal dataset base (see stage1_polyp_256px.py)
# (thin vessels do not survive 64 px, see _base_/datasets/retina.py).
_base_ = [
    '../_base_/models/flow_unet_tiny.py',
    '../_base_/datasets/retina.py',
    '../_base_/schedules/flow_adamw_cosine_20k.py',
    '../_base_/default_runtime.py',
]
