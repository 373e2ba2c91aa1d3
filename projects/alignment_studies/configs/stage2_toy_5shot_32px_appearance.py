# configs/stage2/stage2_toy_5shot_32px.py with the appearance preset
# (configs/_base_/presets/alignment_appearance.py), the polyp products' setting, on the toys.
#   python tools/train.py projects/alignment_studies/configs/stage2_toy_5shot_32px_appearance.py
_base_ = ['../../../configs/stage2/stage2_toy_5shot_32px.py',
          '../../../configs/_base_/presets/alignment_appearance.py']
model = _base_.appearance.model
optim_wrapper = _base_.appearance.optim_wrapper
train_cfg = _base_.appearance.train_cfg
custom_hooks = _base_.appearance.custom_hooks
