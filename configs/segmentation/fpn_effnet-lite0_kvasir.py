# Semantic FPN (ImageNet EfficientNet-Lite0 encoder) on Kvasir-SEG, real pairs only, GPU schedule
# (20k iterations).
#   python tools/train.py configs/segmentation/fpn_effnet-lite0_kvasir.py
# Real + synthetic: add `--cfg-options synthetic_mix.data_root=SYNTHETIC_DIR`
# (see configs/segmentation/unet_polyp_64_syn.py).
_base_ = [
    '../_base_/models/seg_fpn_effnet-lite0.py',
    '../_base_/datasets/seg_kvasir.py',
    '../_base_/schedules/seg_adamw_poly_20k.py',
    '../_base_/default_runtime.py',
]
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
# The pretrained encoder learns at a tenth of the decoder's rate: 6e-5 and 6e-4, as mmseg's
# SegFormer recipe (head lr_mult 10).
optim_wrapper = dict(optimizer=dict(lr=6e-4),
                     paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
