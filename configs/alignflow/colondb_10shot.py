# CVC-ColonDB: colondb_5shot.py with 10 reference images of CVC-ColonDB.
_base_ = ['./colondb_5shot.py']
reference_split = dict(k=10)
