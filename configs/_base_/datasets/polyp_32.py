# polyp.py at 32 px. A resolution is a dataset base (as mmseg's cityscapes_769x769.py): it sets
# img_size and resizes the base's steps to it, so the pipelines are written once, in polyp.py.
_base_ = ['./polyp.py']
img_size = 32
train_pipeline = [dict(step, scale=(img_size, img_size)) if step.type == 'Resize' else step
                  for step in _base_.train_pipeline]
test_pipeline = [dict(step, scale=(img_size, img_size)) if step.type == 'Resize' else step
                 for step in _base_.test_pipeline]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
