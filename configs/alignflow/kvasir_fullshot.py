# Kvasir-SEG: kvasir_5shot.py with all the reference images of Kvasir-SEG.
_base_ = ['./kvasir_5shot.py']
reference_split = dict(k='all')
