# A generator of new polyp masks (MaskFlow) trained on the masks of a polyp dataset in the
# Kvasir-SEG layout, 64 px (the resolution of stage1_polyp_64px.py, whose images it is painted by).
#   python tools/train.py configs/maskflow/maskflow_polyp_64px.py \
#       --cfg-options train_dataloader.dataset.data_root=/data/Kvasir-SEG \
#                     val_dataloader.dataset.data_root=/data/Kvasir-SEG
_base_ = [
    '../_base_/models/mask_flow_unet_tiny.py',
    '../_base_/datasets/polyp.py',
    '../_base_/schedules/flow_adamw_cosine_20k.py',
    '../_base_/default_runtime.py',
]
val_evaluator = [dict(type='FlowMatchingLossMetric'), dict(type='MaskStatisticsMetric')]
test_evaluator = val_evaluator
