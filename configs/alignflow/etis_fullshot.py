# ETIS: the polyp stage-1 model aligned to all the reference images of ETIS.
_base_ = ['./clinicdb_5shot.py']
target_root = 'data/ETIS-LaribPolypDB'
model = dict(references=dict(folder=target_root, k='all'))
val_evaluator = dict(real=target_root, exclude_references=dict(k='all'))
test_evaluator = val_evaluator
