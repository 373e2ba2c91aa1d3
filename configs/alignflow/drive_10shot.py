# DRIVE: the retinal stage-1 model aligned to 10 reference images of DRIVE.
_base_ = ['./drive_5shot.py']
reference_split = dict(k=10)
