# Stage 1 on a retinal vessel dataset in the DRIVE layout, 64 px, tiny U-Net (runs on a CPU).
#   python tools/train.py configs/alignflow/retina_stage1.py \
#       --cfg-options train_dataloader.dataset.data_root=/data/CHASE_DB1 \
#                     val_dataloader.dataset.data_root=/data/CHASE_DB1 \
#                     val_evaluator.1.real=/data/CHASE_DB1
# On a GPU, inherit flow_unet_base.py and raise img_size in the dataset config to 256 or more
# (thin vessels do not survive 64 px, see _base_/datasets/retina.py).
_base_ = [
    '../_base_/models/flow_unet_tiny.py',
    '../_base_/datasets/retina.py',
    '../_base_/schedules/flow_adamw.py',
    '../_base_/default_runtime.py',
]
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
