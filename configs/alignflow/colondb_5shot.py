# CVC-ColonDB: the polyp stage-1 model aligned to 5 reference images of CVC-ColonDB.
_base_ = ['./clinicdb_5shot.py']
reference_split = dict(folder='data/CVC-ColonDB')
