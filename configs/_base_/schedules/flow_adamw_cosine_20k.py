# Stage 1 on a real dataset: 20k iterations of AdamW at 5e-4 with warm-up and cosine decay,
# EMA weights (what checkpoints and grids use) and a sample grid every 1000 iterations.
_base_ = ['./flow_adamw.py']
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000, val_interval=2000)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=200),
    dict(type='CosineAnnealingLR', T_max=19800, eta_min=1e-5, by_epoch=False, begin=200,
         end=20000),
]
custom_hooks = [
    dict(type='EMAHook', momentum=0.001, update_buffers=True, priority='ABOVE_NORMAL'),
    dict(type='SampleGridHook', interval=1000, num_samples=8),
]
