# Kvasir-SEG: the polyp stage-1 model aligned to 5 reference images of Kvasir-SEG.
_base_ = ['./clinicdb_5shot.py']
target_root = 'data/Kvasir-SEG'
model = dict(references=dict(folder=target_root, k=5))
val_evaluator = dict(real=target_root, exclude_references=dict(k=5))
test_evaluator = val_evaluator
