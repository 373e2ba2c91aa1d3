# toy_5shot.py with 1 reference image of the toy target look.
_base_ = ['./toy_5shot.py']
reference_split = dict(k=1)
