# DRIVE: the retinal stage-1 model aligned to 1 reference image of DRIVE.
_base_ = ['./drive_5shot.py']
model = dict(references=dict(k=1))
val_evaluator = dict(exclude_references=dict(k=1))
test_evaluator = val_evaluator
