# The lever study's loosened setting: the 32-px product (configs/stage2/
# stage2_clinicdb_5shot_32px.py) with every weight trained, without the mask-effect anchor and
# without the diversity guard, i.e. stage2_clinicdb_5shot_32px_conservative.py with the
# flow-matching regulariser off, a 10x weaker anchor, 3x the learning rate and the budget, and
# the stopping rule off (the appearance preset's values, written here so that the study stays
# as it was run).
#   python tools/train.py projects/alignment_studies/configs/stage2_clinicdb_5shot_32px_loosened.py
_base_ = ['./stage2_clinicdb_5shot_32px_conservative.py']
model = dict(trainable='all', losses=[dict(type='Stage1AnchorLoss', loss_weight=0.1)],
             reward=dict(diversity_guard=None))
optim_wrapper = dict(optimizer=dict(lr=3e-4))
train_cfg = dict(max_iters=300, val_interval=100)
custom_hooks = [
    dict(type='AlignmentMonitorHook', validate_before_train=True, floor_factor=None,
         min_iters=25),
    dict(type='SampleGridHook', interval=25, num_samples=8),
]
