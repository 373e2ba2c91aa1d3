# unet on REFUGE optic disc and cup (3 classes), real pairs only, GPU schedule (20k
# iterations).
#   python tools/train.py configs/segmentation/unet_refuge.py
_base_ = [
    '../_base_/models/seg_unet_s5-d16.py',
    '../_base_/datasets/seg_refuge.py',
    '../_base_/schedules/seg_adamw_poly_20k.py',
    '../_base_/default_runtime.py',
]
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}),
             decode_head=dict(num_classes=3), auxiliary_head=dict(num_classes=3))
