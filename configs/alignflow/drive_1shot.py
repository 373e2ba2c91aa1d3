# DRIVE: the retinal stage-1 model aligned to 1 reference image of DRIVE.
_base_ = ['./drive_5shot.py']
reference_split = dict(k=1)
