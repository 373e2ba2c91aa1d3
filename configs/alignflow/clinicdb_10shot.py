# CVC-ClinicDB: the polyp stage-1 model aligned to 10 reference images of CVC-ClinicDB.
_base_ = ['./clinicdb_5shot.py']
model = dict(references=dict(k=10))
val_evaluator = dict(exclude_references=dict(k=10))
test_evaluator = val_evaluator
