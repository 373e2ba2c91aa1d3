# toy_5shot.py with all the reference images of the toy target look.
_base_ = ['./toy_5shot.py']
reference_split = dict(k='all')
