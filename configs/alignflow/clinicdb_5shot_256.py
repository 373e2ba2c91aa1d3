# clinicdb_5shot.py at 256 px on flow_unet_base, from the stage 1 of polyp_stage1_256.py
# (GPU; run with --amp): clinicdb_5shot_256_conservative.py with the appearance preset.
_base_ = ['./clinicdb_5shot_256_conservative.py', '../_base_/presets/alignment_appearance.py']
model = {{_base_.appearance.model}}
optim_wrapper = {{_base_.appearance.optim_wrapper}}
train_cfg = {{_base_.appearance.train_cfg}}
custom_hooks = {{_base_.appearance.custom_hooks}}
