# Kvasir-SEG: the polyp stage-1 model aligned to 10 reference images of Kvasir-SEG.
_base_ = ['./clinicdb_5shot.py']
target_root = 'data/Kvasir-SEG'
model = dict(references=dict(folder=target_root, k=10))
val_evaluator = dict(real=target_root, exclude_references=dict(k=10))
test_evaluator = val_evaluator
