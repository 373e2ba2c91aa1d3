# A generator of new toy polyp masks (MaskFlow), trained on the masks of the toy source set,
# 32 px: the CPU demo of mask generation. Grids: sampled map | post-processed | real masks.
#   python tools/train.py configs/maskflow/toy_mask.py
_base_ = [
    '../_base_/models/mask_flow_unet_tiny.py',
    '../_base_/datasets/toy_polyp.py',
    '../_base_/schedules/flow_adamw.py',
    '../_base_/default_runtime.py',
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2000, val_interval=1000)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', T_max=1900, eta_min=1e-5, by_epoch=False, begin=100,
         end=2000),
]
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(interval=500, max_keep_ckpts=2))
custom_hooks = [
    dict(type='EMAHook', momentum=0.01, update_buffers=True, priority='ABOVE_NORMAL'),
    dict(type='SampleGridHook', interval=500, num_samples=8),
]
# Held-out flow-matching loss, and the generated masks' statistics against the real ones.
val_evaluator = [dict(type='FlowMatchingLossMetric'), dict(type='MaskStatisticsMetric')]
test_evaluator = val_evaluator
