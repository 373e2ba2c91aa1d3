# toy_5shot.py with 10 reference images of the toy target look.
_base_ = ['./toy_5shot.py']
reference_split = dict(k=10)
