# CVC-ClinicDB: clinicdb_5shot.py with 1 reference image of CVC-ClinicDB.
_base_ = ['./clinicdb_5shot.py']
reference_split = dict(k=1)
# The diversity guard compares the batch's spread with the references'; one has none.
model = dict(reward=dict(diversity_guard=None))
