# ETIS: the polyp stage-1 model aligned to all the reference images of ETIS
# (stage2_clinicdb_5shot_64px.py with another target or shot count).
#   python tools/train.py configs/stage2/stage2_etis_fullshot_64px.py
_base_ = ['./stage2_clinicdb_5shot_64px.py']
reference_split = dict(folder='data/ETIS-LaribPolypDB', k='all')
