# CVC-300: cvc300_5shot.py with 1 reference image of CVC-300.
_base_ = ['./cvc300_5shot.py']
reference_split = dict(k=1)
