# ETIS: etis_5shot.py with all the reference images of ETIS.
_base_ = ['./etis_5shot.py']
reference_split = dict(k='all')
