# Stage 2 on real polyps, the default: the stage-1 model of polyp_stage1.py (trained on the source
# polyp set) aligned to 5 reference images of CVC-ClinicDB with the appearance setting
# (_base_/presets/alignment_appearance.py), which changes the look where the previous default
# (clinicdb_5shot_conservative.py) only matched statistics (docs/benchmarks.md; measured at 32 px:
# at this file's 64 px the setting, not re-tuned, did worse on 3 draws, "64 px against 32 px").
# The sibling configs {kvasir,clinicdb,colondb,etis,cvc300}_{1,5,10,full}shot.py inherit from
# this one and change only reference_split (the 1-shot ones also turn the diversity guard off).
#   python tools/train.py configs/alignflow/polyp_stage1.py     # stage 1 (once)
#   python tools/train.py configs/alignflow/clinicdb_5shot.py
# Paths as in clinicdb_5shot_conservative.py's header.
_base_ = ['./clinicdb_5shot_conservative.py', '../_base_/presets/alignment_appearance.py']
model = {{_base_.appearance.model}}
optim_wrapper = {{_base_.appearance.optim_wrapper}}
train_cfg = {{_base_.appearance.train_cfg}}
custom_hooks = {{_base_.appearance.custom_hooks}}
