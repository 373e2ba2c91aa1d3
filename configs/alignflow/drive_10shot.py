# DRIVE: the retinal stage-1 model aligned to 10 reference images of DRIVE.
_base_ = ['./drive_5shot.py']
model = dict(references=dict(k=10))
val_evaluator = dict(exclude_references=dict(k=10))
test_evaluator = val_evaluator
