# CVC-300: the polyp stage-1 model aligned to 5 reference images of CVC-300.
_base_ = ['./clinicdb_5shot.py']
# CVC-300 has 60 test images: hold out 30 for evaluation.
reference_split = dict(folder='data/CVC-300', num_heldout=30)
