# ETIS: etis_5shot.py with 1 reference image of ETIS.
_base_ = ['./etis_5shot.py']
reference_split = dict(k=1)
