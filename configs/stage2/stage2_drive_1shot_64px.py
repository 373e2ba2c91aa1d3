# stage2_drive_5shot_64px.py with 1 reference image of DRIVE.
#   python tools/train.py configs/stage2/stage2_drive_1shot_64px.py
_base_ = ['./stage2_drive_5shot_64px.py']
reference_split = dict(k=1)
