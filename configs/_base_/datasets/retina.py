# A retinal vessel dataset in the DRIVE layout: <data_root>/images/*.png|tif +
# <data_root>/masks/*.png (binary vessel masks; a fov/ folder of field-of-view masks is ignored).
# Default: a retinal *source* training set in that layout, e.g. STARE, CHASE_DB1 and HRF merged
# into one folder; DRIVE is kept as the few-shot target (configs/stage2/stage2_drive_*shot_64px.py).
# Point `data_root` at your copy, e.g.
#   --cfg-options train_dataloader.dataset.data_root=/data/CHASE_DB1 \
#                 val_dataloader.dataset.data_root=/data/CHASE_DB1
# `ann_file` (a text file of stems, one per line) picks a split; None takes every pair.
# 64 px keeps stage 1 CPU-sized, but nearest-neighbour resizing breaks the thin vessel tree into
# fragments there; for usable retinal pairs resize to 256 px as polyp_256.py does (GPU).
# The pipelines and loaders are polyp.py's, written out so that a config on this base stays
# within three levels of inheritance.
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
test_pipeline = [step for step in train_pipeline if step['type'] != 'RandomFlip']
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
# space (real=None: the images of train_dataloader.dataset).
val_evaluator = [
    dict(type='FlowMatchingLossMetric'),
    dict(type='GenerationMetric', feature_space='randomconv', measures=('kid', 'mmd'),
         real=None),
]
test_evaluator = val_evaluator
