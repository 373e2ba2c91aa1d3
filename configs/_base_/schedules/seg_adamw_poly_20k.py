# Segmentor schedule for GPUs: seg_adamw_poly_3k.py over 20k iterations at 6e-5 (mmseg's
# SegFormer and DPT recipes), validation and checkpoints every 2000.
_base_ = ['./seg_adamw_poly_3k.py']
optim_wrapper = dict(optimizer=dict(lr=6e-5, weight_decay=0.01))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=20000, by_epoch=False),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000, val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000))
