# Semantic FPN on ImageNet EfficientNet-Lite0 on a polyp dataset at 64 px with the CPU-sized
# schedule: the pretrained segmentor of the downstream evidence (configs/benchmark/).
#   python tools/train.py configs/segmentation/fpn_effnet-lite0_polyp_64.py
_base_ = [
    '../_base_/models/seg_fpn_effnet-lite0.py',
    '../_base_/datasets/seg_polyp_64.py',
    '../_base_/schedules/seg_adamw_poly_3k.py',
    '../_base_/default_runtime.py',
]
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
# The pretrained encoder learns at a tenth of the decoder's rate (1e-4 against 1e-3).
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
