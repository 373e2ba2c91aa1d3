# A polyp dataset in the Kvasir-SEG layout: <data_root>/images/*.jpg|png + <data_root>/masks/*.png.
# Default: Kvasir-SEG (`python tools/dataset_converters/kvasir.py RAW -o data/Kvasir-SEG`), the
# source of the polyp generators; the stage-2 targets are the other polyp sets. Not PraNet's
# TrainDataset: it holds 900 Kvasir-SEG and 550 CVC-ClinicDB pairs, and a target inside the source
# is refused. Point `data_root` at your copy, e.g.
#   --cfg-options train_dataloader.dataset.data_root=/data/Kvasir-SEG \
#                 val_dataloader.dataset.data_root=/data/Kvasir-SEG
# `ann_file` (a text file of stems, one per line) picks a split; None takes every pair.
dataset_type = 'PolypDataset'
data_root = 'data/Kvasir-SEG'
img_size = 64
train_pipeline = [
    dict(type='LoadCheckedImage'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackSegInputs'),
]
# Other resolutions: polyp_{32,128,256}.py (dataset bases that resize these steps to their size).
test_pipeline = [step for step in train_pipeline if step['type'] != 'RandomFlip']
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
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=None, indices=32,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
# Held-out flow-matching loss, and KID/MMD to the dataset's images in a weight-free feature
# space (set feature_space='inception' when you have the FID weights). real=None: the images
# of train_dataloader.dataset, so that a data_root override moves them too.
val_evaluator = [
    dict(type='FlowMatchingLossMetric'),
    dict(type='GenerationMetric', feature_space='randomconv', measures=('kid', 'mmd'),
         real=None),
]
test_evaluator = val_evaluator
