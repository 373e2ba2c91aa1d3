# polyp.py at 32 px. A resolution is a dataset base (as mmseg's cityscapes_769x769.py): a
# config at another resolution swaps this file in its _base_ list instead of copying pipelines.
_base_ = ['./polyp.py']
img_size = 32
train_pipeline = [
    dict(type='LoadCheckedImage'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackSegInputs'),
]
test_pipeline = [step for step in train_pipeline if step['type'] != 'RandomFlip']
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
