# seg_polyp_64.py at 256 px: the segmentation end of the 256-px chain (the generators' largest
# resolution, so synthetic pairs join the real ones unresized). A resolution is a dataset base:
# it sets img_size and resizes the base's steps to it.
_base_ = ['./seg_polyp_64.py']
img_size = 256
crop_size = (img_size, img_size)
train_pipeline = [dict(step, scale=crop_size) if step.type == 'Resize' else step
                  for step in _base_.train_pipeline]
test_pipeline = [dict(step, scale=crop_size) if step.type == 'Resize' else step
                 for step in _base_.test_pipeline]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
