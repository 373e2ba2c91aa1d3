# CVC-ColonDB: the polyp stage-1 model aligned to all the reference images of CVC-ColonDB
# (stage2_clinicdb_5shot_64px.py with another target or shot count).
#   python tools/train.py configs/stage2/stage2_colondb_fullshot_64px.py
_base_ = ['./stage2_clinicdb_5shot_64px.py']
reference_split = dict(folder='data/CVC-ColonDB', k='all')
