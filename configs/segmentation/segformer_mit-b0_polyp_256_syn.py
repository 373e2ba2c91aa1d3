# segformer_mit-b0_polyp_256.py trained on real + synthetic pairs: the end of the 256-px chain
# (GPU), every step at the same size.
#   python tools/train.py configs/stage1/stage1_polyp_256px.py --amp
#   python tools/train.py configs/stage2/stage2_clinicdb_5shot_256px.py --amp
#   python tools/train.py configs/maskflow/maskflow_polyp_256px.py --amp
#   python tools/synthesize.py configs/stage2/stage2_clinicdb_5shot_256px.py \
#       work_dirs/stage2_clinicdb_5shot_256px/iter_300.pth \
#       --mask-config configs/maskflow/maskflow_polyp_256px.py \
#       --mask-ckpt work_dirs/maskflow_polyp_256px/iter_20000.pth \
#       --num 1000 --out-dir data/synthetic/stage2_clinicdb_5shot_256px
#   python tools/train.py configs/segmentation/segformer_mit-b0_polyp_256_syn.py
# Its bases and lines are segformer_mit-b0_polyp_256.py's (written out: a child of it would be
# four levels deep; tests/test_configs.py checks the two differ only in synthetic_mix).
_base_ = [
    '../_base_/models/seg_segformer_mit-b0.py',
    '../_base_/datasets/seg_polyp_256.py',
    '../_base_/schedules/seg_adamw_poly_20k.py',
    '../_base_/default_runtime.py',
]
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
synthetic_mix = dict(data_root='data/synthetic/stage2_clinicdb_5shot_256px', synthetic_ratio=1.0)
