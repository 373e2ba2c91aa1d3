# clinicdb_5shot_32.py with the setting that moved the C2ST share most (docs/benchmarks.md,
# "Levers against the C2ST"): the flow-matching regulariser off, a 10x weaker anchor, 3x the
# learning rate and the budget, the stopping rule off. Not the default: it was measured on 3
# draws at 32 px (and on the toy domains), and mask adherence and diversity are the
# price to check (see the table).
_base_ = ['./clinicdb_5shot_32.py']
model = dict(fm_weight=0.0, anchor_weight=0.1)
optim_wrapper = dict(optimizer=dict(lr=3e-4))
train_cfg = dict(max_iters=300, val_interval=100)
custom_hooks = [
    dict(type='AlignmentMonitorHook', validate_before_train=True, floor_factor=None,
         min_iters=25),
    dict(type='SampleGridHook', interval=25, num_samples=8),
]
