# Kvasir-SEG: kvasir_5shot.py with 1 reference image of Kvasir-SEG.
_base_ = ['./kvasir_5shot.py']
reference_split = dict(k=1)
