# SegFormer MiT-B0 on CVC-ClinicDB, real pairs only, GPU schedule (20k iterations).
#   python tools/train.py configs/segmentation/segformer_mit-b0_clinicdb.py
# Real + synthetic: add `--cfg-options synthetic_mix.data_root=SYNTHETIC_DIR`
# (see configs/segmentation/unet_polyp_64_syn.py).
_base_ = [
    '../_base_/models/seg_segformer_mit-b0.py',
    '../_base_/datasets/seg_clinicdb.py',
    '../_base_/schedules/seg_adamw_poly_20k.py',
    '../_base_/default_runtime.py',
]
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
