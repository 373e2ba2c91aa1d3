# Retinal vessel segmentation data in the DRIVE layout (<data_root>/images + masks), whole
# images resized to 512 px (thin vessels do not survive CPU-sized resolutions), for GPUs: the
# polyp bases' steps and metrics with another class, folder and size (written out rather than
# inherited, so that no product config is more than three levels deep).
dataset_type = 'RetinalVesselDataset'
data_root = 'data/retina/DRIVE'
img_size = 512
crop_size = (img_size, img_size)
train_pipeline = [
    dict(type='LoadCheckedImage'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadCheckedImage'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadBinaryMask'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=None, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=None, pipeline=test_pipeline))
test_dataloader = val_dataloader
# mmseg's IoUMetric (pixels pooled over the set, classes averaged) and the polyp literature's
# per-image Dice/IoU of the lesion (as PraNet's evaluation), each under its own name.
val_evaluator = [dict(type='IoUMetric', iou_metrics=['mIoU', 'mDice']),
                 dict(type='PerImageLesionMetric')]
test_evaluator = val_evaluator
# Real + synthetic pairs: data_root names a folder written by tools/synthesize.py, e.g.
# --cfg-options synthetic_mix.data_root=data/synthetic/stage2_clinicdb_5shot_64px
# (None: real pairs only).
synthetic_mix = dict(data_root=None, synthetic_ratio=1.0, max_pairs=None, seed=0)
