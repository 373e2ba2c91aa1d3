# CVC-ClinicDB: clinicdb_5shot.py with 1 reference image of CVC-ClinicDB.
_base_ = ['./clinicdb_5shot.py']
reference_split = dict(k=1)
