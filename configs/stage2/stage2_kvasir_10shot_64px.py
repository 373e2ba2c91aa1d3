# Kvasir-SEG: the polyp stage-1 model aligned to 10 reference images of Kvasir-SEG
# (stage2_clinicdb_5shot_64px.py with another target or shot count).
#   python tools/train.py configs/stage2/stage2_kvasir_10shot_64px.py
_base_ = ['./stage2_clinicdb_5shot_64px.py']
reference_split = dict(folder='data/Kvasir-SEG', k=10)
