# Stage 1 on a polyp dataset in the Kvasir-SEG layout, 64 px, tiny U-Net (runs on a CPU).
#   python tools/train.py configs/alignflow/polyp_stage1.py \
#       --cfg-options train_dataloader.dataset.data_root=/data/Kvasir-SEG \
#                     val_dataloader.dataset.data_root=/data/Kvasir-SEG
# On a GPU: polyp_stage1_128.py and polyp_stage1_256.py (flow_unet_base).
_base_ = [
    '../_base_/models/flow_unet_tiny.py',
    '../_base_/datasets/polyp.py',
    '../_base_/schedules/flow_adamw_cosine_20k.py',
    '../_base_/default_runtime.py',
]
