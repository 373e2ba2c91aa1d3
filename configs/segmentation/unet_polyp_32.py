# mmseg U-Net on a polyp dataset (Kvasir-SEG layout) at 32 px, CPU-sized. Serves the stage-2
# mask-adherence check: trained on real *source* pairs, it is asked whether synthetic images
# show the lesion where their conditioning mask says (tools/analysis/mask_adherence.py).
#   python tools/train.py configs/segmentation/unet_polyp_32.py --cfg-options \
#       train_dataloader.dataset.data_root=/data/Kvasir-SEG val_dataloader.dataset.data_root=...
_base_ = [
    '../_base_/models/seg_unet_tiny.py',
    '../_base_/datasets/polyp.py',
    '../_base_/default_runtime.py',
]
img_size = 32
crop_size = (img_size, img_size)
train_pipeline = [
    dict(type='LoadCheckedImage'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
# As in mmseg: masks are loaded after the resize, so predictions are scored at the original size.
test_pipeline = [
    dict(type='LoadCheckedImage'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadBinaryMask'),
    dict(type='PackSegInputs'),
]
model = dict(data_preprocessor=dict(size=crop_size))
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=16, dataset=dict(indices=None, pipeline=test_pipeline))
test_dataloader = val_dataloader
# mmseg's IoUMetric (pixels pooled over the set, classes averaged) and the polyp literature's
# per-image Dice/IoU of the lesion, each under its own name.
val_evaluator = [dict(type='IoUMetric', iou_metrics=['mIoU', 'mDice']),
                 dict(type='PerImageLesionMetric')]
test_evaluator = val_evaluator
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=3000,
                        by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=3000, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1000, save_last=True,
                    backend_args=dict(backend='local_atomic')),
    sampler_seed=dict(type='DistSamplerSeedHook'))
