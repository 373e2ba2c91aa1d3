# clinicdb_5shot.py at 32 px from the stage 1 of polyp_stage1_32.py (CPU-sized evidence):
# clinicdb_5shot_32_conservative.py with the appearance preset.
_base_ = ['./clinicdb_5shot_32_conservative.py', '../_base_/presets/alignment_appearance.py']
model = {{_base_.appearance.model}}
optim_wrapper = {{_base_.appearance.optim_wrapper}}
train_cfg = {{_base_.appearance.train_cfg}}
custom_hooks = {{_base_.appearance.custom_hooks}}
