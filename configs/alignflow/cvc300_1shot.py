# CVC-300: the polyp stage-1 model aligned to 1 reference image of CVC-300.
_base_ = ['./clinicdb_5shot.py']
target_root = 'data/CVC-300'
# CVC-300 has 60 test images: hold out 30 for evaluation.
model = dict(references=dict(folder=target_root, num_heldout=30, k=1))
val_evaluator = dict(real=target_root, exclude_references=dict(num_heldout=30, k=1))
test_evaluator = val_evaluator
