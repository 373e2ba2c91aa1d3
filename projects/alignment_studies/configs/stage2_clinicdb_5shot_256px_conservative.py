# stage2_clinicdb_5shot_64px_conservative.py at 256 px on flow_unet_base, from the stage 1 of
# stage1_polyp_256px.py (GPU); the size is set as in configs/stage2/stage2_clinicdb_5shot_256px.py.
#   python tools/train.py projects/alignment_studies/configs/stage2_clinicdb_5shot_256px_conservative.py --amp
_base_ = ['./stage2_clinicdb_5shot_64px_conservative.py']
img_size = 256
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
    stage1_checkpoint='work_dirs/stage1_polyp_256px/iter_20000.pth',
    stage1_config='configs/stage1/stage1_polyp_256px.py',
    reference_size=img_size)
# The diversity in extra random CNNs is left out at this size.
val_evaluator = dict(diversity_networks=0)
test_evaluator = val_evaluator
