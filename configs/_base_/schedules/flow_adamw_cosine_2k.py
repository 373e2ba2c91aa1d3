# The toy (CPU demo) schedule: 2000 iterations of AdamW at 1e-3 with warm-up and cosine decay,
# EMA weights, checkpoints and sample grids every 500 (stage1_toy_32px.py,
# maskflow/maskflow_toy_32px.py).
_base_ = ['./flow_adamw.py']
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2000, val_interval=1000)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', T_max=1900, eta_min=1e-5, by_epoch=False, begin=100,
         end=2000),
]
default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=500, max_keep_ckpts=2),
)
custom_hooks = [
    dict(type='EMAHook', momentum=0.01, update_buffers=True, priority='ABOVE_NORMAL'),
    dict(type='SampleGridHook', interval=500, num_samples=8),
]
