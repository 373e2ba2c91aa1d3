# stage2_custom_5shot_64px.py at 32 px, from the stage 1 of stage1_polyp_32px-3k.py: your own
# hospital's frames on a CPU.
#   python tools/train.py configs/stage1/stage1_polyp_32px-3k.py \
#       --cfg-options train_dataloader.dataset.data_root=/data/Kvasir-SEG \
#                     val_dataloader.dataset.data_root=/data/Kvasir-SEG    # stage 1 (once)
#   python tools/train.py configs/stage2/stage2_custom_5shot_32px.py \
#       --cfg-options reference_split.folder=/data/my_hospital \
#                     train_dataloader.dataset.data_root=/data/Kvasir-SEG \
#                     val_dataloader.dataset.data_root=/data/Kvasir-SEG
# A size re-derives the inherited pipelines, as _base_/datasets/polyp_32.py does (a text config
# does not re-evaluate an inherited img_size).
_base_ = ['./stage2_custom_5shot_64px.py']
img_size = 32
train_pipeline = [dict(step, scale=(img_size, img_size)) if step.type == 'Resize' else step
                  for step in _base_.train_pipeline]
test_pipeline = [dict(step, scale=(img_size, img_size)) if step.type == 'Resize' else step
                 for step in _base_.test_pipeline]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(
    stage1_checkpoint='work_dirs/stage1_polyp_32px-3k/iter_3000.pth',
    stage1_config='configs/stage1/stage1_polyp_32px-3k.py',
    reference_size=img_size)
