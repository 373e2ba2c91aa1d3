# toy_5shot.py with 1 reference image of the toy target look.
_base_ = ['./toy_5shot.py']
model = dict(references=dict(k=1))
val_evaluator = dict(exclude_references=dict(k=1))
test_evaluator = val_evaluator
