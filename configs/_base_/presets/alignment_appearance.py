# Stage-2 setting for changing the look, not only the statistics (issue 11; docs/benchmarks.md,
# "The toys' best arm on ClinicDB, and the guard in the reward's own space"): no flow-matching
# loss on the source pairs and a 10x weaker stage-1 anchor (each holds the source's look), the
# mask-effect anchor (holds what the mask changes in the velocity), the diversity guard in the
# reward's own features (needs k >= 2 references), 3x the learning rate and budget of the plain
# bases, the reference-floor stopping rule off (the budget ends the run).
# Measured at 32 px, 5 references, 3 draws: on the toys it meets issue 11's goal on every draw;
# on ClinicDB it holds the lesions best of the settings tried but its C2ST share (45%) misses
# the goal's 50%, so it is an opt-in, not the polyp default. A stage-2 config applies it after
# its bases (a preset names its dict, since mmengine refuses two bases that define the same key):
#   _base_ = ['./clinicdb_5shot_32.py', '../_base_/presets/alignment_appearance.py']
#   model = {{_base_.appearance.model}}
#   optim_wrapper = {{_base_.appearance.optim_wrapper}}
#   train_cfg = {{_base_.appearance.train_cfg}}
#   custom_hooks = {{_base_.appearance.custom_hooks}}
appearance = dict(
    model=dict(
        fm_weight=0.0,
        anchor_weight=0.1,
        mask_anchor_weight=1.0,
        reward=dict(diversity_weight=1.0)),
    optim_wrapper=dict(optimizer=dict(lr=3e-4)),
    train_cfg=dict(max_iters=300, val_interval=100),
    custom_hooks=[
        dict(type='AlignmentMonitorHook', validate_before_train=True, floor_factor=None,
             min_iters=25),
        dict(type='SampleGridHook', interval=25, num_samples=8),
    ])
