# The CPU-sized real-data schedule: flow_adamw_cosine_20k.py shortened to 3000 iterations at
# 1e-3, EMA 0.01, checkpoints and grids every 1000 (the configs named *-3k). It inherits
# flow_adamw.py directly, as 20k does, so that a config on it stays within three levels.
_base_ = ['./flow_adamw.py']
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=3000, val_interval=1000)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', T_max=2900, eta_min=1e-5, by_epoch=False, begin=100,
         end=3000),
]
default_hooks = dict(checkpoint=dict(interval=1000))
custom_hooks = [
    dict(type='EMAHook', momentum=0.01, update_buffers=True, priority='ABOVE_NORMAL'),
    dict(type='SampleGridHook', interval=1000, num_samples=8),
]
