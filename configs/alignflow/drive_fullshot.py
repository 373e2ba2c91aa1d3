# DRIVE: the retinal stage-1 model aligned to all the reference images of DRIVE (the 20 left
# after the held-out set).
_base_ = ['./drive_5shot.py']
reference_split = dict(k='all')
