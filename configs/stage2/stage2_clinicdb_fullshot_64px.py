# CVC-ClinicDB: the polyp stage-1 model aligned to all the reference images of CVC-ClinicDB
# (stage2_clinicdb_5shot_64px.py with another target or shot count).
#   python tools/train.py configs/stage2/stage2_clinicdb_fullshot_64px.py
_base_ = ['./stage2_clinicdb_5shot_64px.py']
reference_split = dict(k='all')
