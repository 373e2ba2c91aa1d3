# CVC-ColonDB: the polyp stage-1 model aligned to 1 reference image of CVC-ColonDB
# (stage2_clinicdb_5shot_64px.py with another target or shot count).
#   python tools/train.py configs/stage2/stage2_colondb_1shot_64px.py
_base_ = ['./stage2_clinicdb_5shot_64px.py']
reference_split = dict(folder='data/CVC-ColonDB', k=1)
# The diversity guard compares the batch's spread with the references'; one has none.
model = dict(reward=dict(diversity_guard=None))
