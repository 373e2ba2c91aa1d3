# seg_polyp_64.py at 352 px, the input size of the polyp literature (PraNet and its
# successors), for GPUs: the same steps, resized to that size.
_base_ = ['./seg_polyp_64.py']
img_size = 352
crop_size = (img_size, img_size)
train_pipeline = [dict(step, scale=crop_size) if step.type == 'Resize' else step
                  for step in _base_.train_pipeline]
test_pipeline = [dict(step, scale=crop_size) if step.type == 'Resize' else step
                 for step in _base_.test_pipeline]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
