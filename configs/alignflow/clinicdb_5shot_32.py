# clinicdb_5shot.py at 32 px, from the stage 1 of polyp_stage1_32.py (CPU-sized evidence).
_base_ = ['./clinicdb_5shot.py']
img_size = 32
stage1_config = 'configs/alignflow/polyp_stage1_32.py'
test_pipeline = [
    dict(type='LoadCheckedImage'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadCheckedImage'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackSegInputs'),
]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(stage1_checkpoint='work_dirs/polyp_stage1_32/iter_3000.pth',
             stage1_config=stage1_config, references=dict(img_size=img_size))
