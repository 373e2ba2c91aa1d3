# unet_polyp_64.py trained on real + synthetic pairs: one synthetic pair per real pair from a
# folder written by tools/synthesize.py at 64 px. Any segmentation config takes the same
# top-level `synthetic_mix` (alignflow.apis.config_resolution.apply_synthetic_mix) with pairs
# painted at its size (the 256-px chain: segformer_mit-b0_polyp_256_syn.py). Here:
#   python tools/synthesize.py configs/stage2/stage2_clinicdb_5shot_64px.py STAGE2_CKPT \
#       --source-masks data/Kvasir-SEG --augment --num 1000 \
#       --out-dir data/synthetic/stage2_clinicdb_5shot_64px
#   python tools/train.py configs/segmentation/unet_polyp_64_syn.py
# Its bases and lines are unet_polyp_64.py's (written out: a child of it would be four levels
# deep; tests/test_configs.py checks the two differ only in synthetic_mix).
_base_ = [
    '../_base_/models/seg_unet_tiny.py',
    '../_base_/datasets/seg_polyp_64.py',
    '../_base_/schedules/seg_adamw_poly_3k.py',
    '../_base_/default_runtime.py',
]
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
synthetic_mix = dict(data_root='data/synthetic/stage2_clinicdb_5shot_64px', synthetic_ratio=1.0)
