# A retinal vessel dataset in the DRIVE layout: <data_root>/images/*.png|tif +
# <data_root>/masks/*.png (binary vessel masks; a fov/ folder of field-of-view masks is ignored).
# Default: a retinal *source* training set in that layout, e.g. STARE, CHASE_DB1 and HRF merged
# into one folder; DRIVE is kept as the few-shot target (configs/alignflow/drive_*shot.py).
# Point `data_root` at your copy, e.g.
#   --cfg-options train_dataloader.dataset.data_root=/data/CHASE_DB1 \
#                 val_dataloader.dataset.data_root=/data/CHASE_DB1 \
#                 val_evaluator.1.real=/data/CHASE_DB1
# `ann_file` (a text file of stems, one per line) picks a split; None takes every pair.
# 64 px keeps stage 1 CPU-sized, but nearest-neighbour resizing breaks the thin vessel tree into
# fragments there (a DRIVE mask: 9 connected components at 565 px, ~110 at 64 px); for usable
# retinal pairs write a child config with img_size = 256 or more (GPU).
dataset_type = 'RetinalVesselDataset'
data_root = 'data/retina/TrainDataset'
img_size = 64
train_pipeline = [
    dict(type='LoadCheckedImage'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadCheckedImage'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=None, pipeline=train_pipeline))
# Retinal sets are small (20-45 pairs each), so validation takes the first 16.
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=None, indices=16,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
# Held-out flow-matching loss, and KID/MMD to the dataset's images in a weight-free feature
# space (set feature_space='inception' when you have the FID weights).
val_evaluator = [
    dict(type='FlowMatchingLossMetric'),
    dict(type='GenerationMetric', feature_space='randomconv', measures=('kid', 'mmd'),
         real=data_root),
]
test_evaluator = val_evaluator
