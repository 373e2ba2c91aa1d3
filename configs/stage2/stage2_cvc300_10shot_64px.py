# CVC-300: the polyp stage-1 model aligned to 10 reference images of CVC-300
# (stage2_clinicdb_5shot_64px.py with another target or shot count).
#   python tools/train.py configs/stage2/stage2_cvc300_10shot_64px.py
_base_ = ['./stage2_clinicdb_5shot_64px.py']
# CVC-300 has 60 test images: hold out 30 for evaluation.
reference_split = dict(folder='data/CVC-300', num_heldout=30, k=10)
