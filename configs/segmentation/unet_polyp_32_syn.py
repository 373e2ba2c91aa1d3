# unet_polyp_32.py trained on real + synthetic pairs: one synthetic pair per real pair from a
# folder written by tools/synthesize.py at 32 px (the mix: see unet_polyp_64_syn.py).
#   python tools/synthesize.py configs/stage2/stage2_clinicdb_5shot_32px.py STAGE2_CKPT \
#       --mask-config configs/maskflow/maskflow_polyp_32px-3k.py --mask-ckpt MASK_CKPT \
#       --num 1000 --out-dir data/synthetic/stage2_clinicdb_5shot_32px
#   python tools/train.py configs/segmentation/unet_polyp_32_syn.py
# Its bases and lines are unet_polyp_32.py's (written out: a child of it would be four levels
# deep; tests/test_configs.py checks the two differ only in synthetic_mix).
_base_ = [
    '../_base_/models/seg_unet_tiny.py',
    '../_base_/datasets/seg_polyp_64.py',
    '../_base_/schedules/seg_adamw_poly_3k.py',
    '../_base_/default_runtime.py',
]
img_size = 32
crop_size = (img_size, img_size)
train_pipeline = [dict(step, scale=crop_size) if step.type == 'Resize' else step
                  for step in _base_.train_pipeline]
test_pipeline = [dict(step, scale=crop_size) if step.type == 'Resize' else step
                 for step in _base_.test_pipeline]
model = dict(data_preprocessor=dict(size=crop_size))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
synthetic_mix = dict(data_root='data/synthetic/stage2_clinicdb_5shot_32px', synthetic_ratio=1.0)
