# Polyp segmentation data in the Kvasir-SEG layout (<data_root>/images + masks), 64 px: the
# CPU-sized resolution of the downstream evidence. Training: resize, flips, photometric
# distortion; test: masks loaded after the resize, so predictions are scored at the original
# size (as in mmseg). Trained on Kvasir-SEG (the generators' source) and validated on
# CVC-ClinicDB (the stage-2 target), as the 64-px chain; point the folders at your data, e.g.
#   --cfg-options train_dataloader.dataset.data_root=/data/Kvasir-SEG \
#                 test_dataloader.dataset.data_root=/data/CVC-ClinicDB
# `ann_file` (stems, one per line, relative to data_root) picks a split; None takes every pair.
# On a GPU: seg_polyp_256.py (the generators' largest size) or seg_polyp_352.py (the polyp
# literature's, for real pairs).
dataset_type = 'PolypDataset'
data_root = 'data/Kvasir-SEG'
target_root = 'data/CVC-ClinicDB'
img_size = 64
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
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=None, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=target_root, ann_file=None,
                 pipeline=test_pipeline))
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
