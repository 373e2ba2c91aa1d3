# polyp_mask.py at 32 px with a 3k-iteration schedule: the CPU-sized mask generator that pairs
# with polyp_stage1_32.py for the evidence in docs/benchmarks.md (about 10 minutes on 2 cores).
_base_ = [
    '../_base_/models/mask_flow_unet_tiny.py',
    '../_base_/datasets/polyp_32.py',
    '../_base_/schedules/flow_adamw_cosine_20k.py',
    '../_base_/default_runtime.py',
]
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
val_evaluator = [dict(type='FlowMatchingLossMetric'), dict(type='MaskStatisticsMetric')]
test_evaluator = val_evaluator
