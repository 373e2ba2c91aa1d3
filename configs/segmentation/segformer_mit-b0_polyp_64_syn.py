# segformer_mit-b0_polyp_64.py trained on real + synthetic pairs (see unet_polyp_64_syn.py).
# Its bases and lines are segformer_mit-b0_polyp_64.py's (written out: a child of it would be
# four levels deep; tests/test_configs.py checks the two differ only in synthetic_mix).
_base_ = [
    '../_base_/models/seg_segformer_mit-b0.py',
    '../_base_/datasets/seg_polyp_64.py',
    '../_base_/schedules/seg_adamw_poly_3k.py',
    '../_base_/default_runtime.py',
]
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
synthetic_mix = dict(data_root='data/synthetic/stage2_clinicdb_5shot_64px', synthetic_ratio=1.0)
