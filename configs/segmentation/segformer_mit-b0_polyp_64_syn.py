# segformer_mit-b0_polyp_64.py trained on real + synthetic pairs (see unet_polyp_64_syn.py).
_base_ = ['./segformer_mit-b0_polyp_64.py']
synthetic_mix = dict(data_root='data/synthetic/stage2_clinicdb_5shot_64px', synthetic_ratio=1.0)
