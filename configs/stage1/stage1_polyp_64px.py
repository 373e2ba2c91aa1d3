# Stage 1 on a polyp dataset in the Kvasir-SEG layout, 64 px, tiny U-Net (runs on a CPU): the
# stage 1 of the polyp stage-2 configs (configs/stage2/stage2_*_64px.py).
#   python tools/train.py configs/stage1/stage1_polyp_64px.py \
#       --cfg-options train_dataloader.dataset.data_root=/data/Kvasir-SEG \
#                     val_dataloader.dataset.data_root=/data/Kvasir-SEG
# On a GPU: stage1_polyp_128px.py and stage1_polyp_256px.py (flow_unet_base).
_base_ = [
    '../_base_/models/flow_unet_tiny.py',
    '../_base_/datasets/polyp.py',
    '../_base_/schedules/flow_adamw_cosine_20k.py',
    '../_base_/default_runtime.py',
]
