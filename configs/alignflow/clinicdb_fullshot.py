# CVC-ClinicDB: the polyp stage-1 model aligned to all the reference images of CVC-ClinicDB.
_base_ = ['./clinicdb_5shot.py']
model = dict(references=dict(k='all'))
val_evaluator = dict(exclude_references=dict(k='all'))
test_evaluator = val_evaluator
