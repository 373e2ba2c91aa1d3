# REFUGE optic disc and cup for segmentation at 512 px: three classes (background, optic cup,
# optic disc rim) as class-index masks, written by tools/dataset_converters/refuge.py with the
# challenge's split (splits/train.txt: Training400, splits/val.txt: Validation400,
# splits/test.txt: Test400). Real-only: the generators are binary. Evaluate on the test split
# with --cfg-options test_dataloader.dataset.ann_file=splits/test.txt
_base_ = ['./seg_retina_512.py']
dataset_type = 'FundusDiscCupDataset'
data_root = 'data/REFUGE'
num_classes = 3
train_pipeline = [
    dict(type='LoadCheckedImage'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale={{_base_.crop_size}}, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadCheckedImage'),
    dict(type='Resize', scale={{_base_.crop_size}}, keep_ratio=False),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                     ann_file='splits/train.txt', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root,
                                   ann_file='splits/val.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader
# Per class: mmseg's IoUMetric (the lesion-wise per-image metric is for binary masks).
val_evaluator = dict(_delete_=True, type='IoUMetric', iou_metrics=['mIoU', 'mDice'])
test_evaluator = val_evaluator
