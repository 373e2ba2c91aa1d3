# unet_polyp_32.py trained on real + synthetic pairs: one synthetic pair per real pair from a
# folder written by tools/synthesize.py at 32 px (the mix: see unet_polyp_64_syn.py).
#   python tools/synthesize.py configs/stage2/stage2_clinicdb_5shot_32px.py STAGE2_CKPT \
#       --mask-config configs/maskflow/maskflow_polyp_32px-3k.py --mask-ckpt MASK_CKPT \
#       --num 1000 --out-dir data/synthetic/stage2_clinicdb_5shot_32px
#   python tools/train.py configs/segmentation/unet_polyp_32_syn.py
_base_ = ['./unet_polyp_32.py']
synthetic_mix = dict(data_root='data/synthetic/stage2_clinicdb_5shot_32px', synthetic_ratio=1.0)
