# toy_5shot.py with 10 reference images of the toy target look.
_base_ = ['./toy_5shot.py']
model = dict(references=dict(k=10))
val_evaluator = dict(exclude_references=dict(k=10))
test_evaluator = val_evaluator
