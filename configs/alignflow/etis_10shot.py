# ETIS: etis_5shot.py with 10 reference images of ETIS.
_base_ = ['./etis_5shot.py']
reference_split = dict(k=10)
