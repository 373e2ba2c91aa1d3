# CVC-ClinicDB: clinicdb_5shot.py with 10 reference images of CVC-ClinicDB.
_base_ = ['./clinicdb_5shot.py']
reference_split = dict(k=10)
