# unet_polyp_64.py trained on real + synthetic pairs: one synthetic pair per real pair from a
# folder written by tools/synthesize.py at 64 px. Any segmentation config takes the same
# top-level `synthetic_mix` (alignflow.apis.config_resolution.apply_synthetic_mix), e.g.
#   python tools/train.py configs/segmentation/segformer_mit-b0_kvasir.py \
#       --cfg-options synthetic_mix.data_root=data/synthetic/kvasir_352
# Here:
#   python tools/synthesize.py configs/stage2/stage2_clinicdb_5shot_64px.py STAGE2_CKPT \
#       --source-masks data/Kvasir-SEG --augment --num 1000 --out-dir data/synthetic/stage2_clinicdb_5shot_64px
#   python tools/train.py configs/segmentation/unet_polyp_64_syn.py
_base_ = ['./unet_polyp_64.py']
synthetic_mix = dict(data_root='data/synthetic/stage2_clinicdb_5shot_64px', synthetic_ratio=1.0)
