# Stage-2 alignment: short fine-tuning with a small learning rate, iteration-based, validated
# (on held-out target images) and checkpointed every 25 iterations. AlignmentMonitorHook
# validates stage 1 before the first step and stops early when the reward passes the
# reference floor (no held-out image needed); max_iters is the budget.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.0),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=1)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=100, val_interval=25)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=25, max_keep_ckpts=5,
                    save_last=True,
                    backend_args=dict(backend='local_atomic')),  # write, then rename
    sampler_seed=dict(type='DistSamplerSeedHook'),
    rng_state=dict(type='RNGStateHook'),
)
custom_hooks = [
    dict(type='AlignmentMonitorHook', validate_before_train=True, floor_factor=1.0,
         min_iters=25),
    dict(type='SampleGridHook', interval=25, num_samples=8),
]
