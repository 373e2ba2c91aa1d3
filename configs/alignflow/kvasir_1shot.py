# Kvasir-SEG: the polyp stage-1 model aligned to 1 reference image of Kvasir-SEG.
_base_ = ['./clinicdb_5shot.py']
target_root = 'data/Kvasir-SEG'
model = dict(references=dict(folder=target_root, k=1))
val_evaluator = dict(real=target_root, exclude_references=dict(k=1))
test_evaluator = val_evaluator
