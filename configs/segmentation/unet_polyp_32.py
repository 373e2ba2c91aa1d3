# mmseg U-Net on a polyp dataset (Kvasir-SEG layout) at 32 px, CPU-sized. Serves the stage-2
# mask-adherence check: trained on real *source* pairs, it is asked whether synthetic images
# show the lesion where their conditioning mask says (tools/analysis/mask_adherence.py).
#   python tools/train.py configs/segmentation/unet_polyp_32.py --cfg-options \
#       train_dataloader.dataset.data_root=/data/Kvasir-SEG val_dataloader.dataset.data_root=...
# seg_polyp_64.py's data, steps and metrics, resized to 32 px, on the CPU-sized schedule.
_base_ = [
    '../_base_/models/seg_unet_tiny.py',
    '../_base_/datasets/seg_polyp_64.py',
    '../_base_/schedules/seg_adamw_poly_3k.py',
    '../_base_/default_runtime.py',
]
img_size = 32
crop_size = (img_size, img_size)
train_pipeline = [dict(step, scale=crop_size) if step.type == 'Resize' else step
                  for step in _base_.train_pipeline]
test_pipeline = [dict(step, scale=crop_size) if step.type == 'Resize' else step
                 for step in _base_.test_pipeline]
model = dict(data_preprocessor=dict(size=crop_size))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
