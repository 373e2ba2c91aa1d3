# stage2_clinicdb_5shot_64px.py at 128 px on flow_unet_base (the generator of
# _base_/models/flow_unet_base.py), from the stage 1 of stage1_polyp_128px.py (GPU):
#   python tools/train.py configs/stage1/stage1_polyp_128px.py --amp     # stage 1 (once)
#   python tools/train.py configs/stage2/stage2_clinicdb_5shot_128px.py --amp
# A size re-derives the inherited pipelines, as _base_/datasets/polyp_32.py does (a text config
# does not re-evaluate an inherited img_size).
_base_ = ['./stage2_clinicdb_5shot_64px.py']
img_size = 128
train_pipeline = [dict(step, scale=(img_size, img_size)) if step.type == 'Resize' else step
                  for step in _base_.train_pipeline]
test_pipeline = [dict(step, scale=(img_size, img_size)) if step.type == 'Resize' else step
                 for step in _base_.test_pipeline]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(
    generator=dict(
        velocity_net=dict(base_channels=128, channel_mults=(1, 1, 2, 2, 4), num_res_blocks=2,
                          attention_levels=(3, 4), dropout=0.1),
        solver=dict(type='MidpointSolver')),
    stage1_checkpoint='work_dirs/stage1_polyp_128px/iter_20000.pth',
    stage1_config='configs/stage1/stage1_polyp_128px.py',
    reference_size=img_size)
