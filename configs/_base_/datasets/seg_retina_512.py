# Retinal vessel segmentation data in the DRIVE layout (<data_root>/images + masks), whole
# images resized to 512 px (thin vessels do not survive CPU-sized resolutions: a DRIVE mask has
# 9 connected components at 565 px and ~110 at 64 px), for GPUs.
_base_ = ['./seg_polyp_352.py']  # same pipelines and metrics, other class, folder and size
dataset_type = 'RetinalVesselDataset'
data_root = 'data/retina/DRIVE'
img_size = 512
crop_size = (img_size, img_size)
train_pipeline = [dict(step, scale=crop_size) if step.type == 'Resize' else step
                  for step in _base_.train_pipeline]
test_pipeline = [dict(step, scale=crop_size) if step.type == 'Resize' else step
                 for step in _base_.test_pipeline]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
