# Kvasir-SEG: kvasir_5shot.py with 10 reference images of Kvasir-SEG.
_base_ = ['./kvasir_5shot.py']
reference_split = dict(k=10)
