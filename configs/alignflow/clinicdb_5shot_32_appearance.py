# clinicdb_5shot_32.py with the appearance preset (_base_/presets/alignment_appearance.py).
_base_ = ['./clinicdb_5shot_32.py', '../_base_/presets/alignment_appearance.py']
model = {{_base_.appearance.model}}
optim_wrapper = {{_base_.appearance.optim_wrapper}}
train_cfg = {{_base_.appearance.train_cfg}}
custom_hooks = {{_base_.appearance.custom_hooks}}
