# stage2_drive_5shot_64px.py with all the reference images of DRIVE
# (the 20 left after the held-out set).
#   python tools/train.py configs/stage2/stage2_drive_fullshot_64px.py
_base_ = ['./stage2_drive_5shot_64px.py']
reference_split = dict(k='all')
