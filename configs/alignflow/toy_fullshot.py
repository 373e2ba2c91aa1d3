# toy_5shot.py with all the reference images of the toy target look.
_base_ = ['./toy_5shot.py']
model = dict(references=dict(k='all'))
val_evaluator = dict(exclude_references=dict(k='all'))
test_evaluator = val_evaluator
