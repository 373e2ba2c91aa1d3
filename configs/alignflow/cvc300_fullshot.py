# CVC-300: cvc300_5shot.py with all the reference images of CVC-300.
_base_ = ['./cvc300_5shot.py']
reference_split = dict(k='all')
