# CVC-ColonDB: colondb_5shot.py with all the reference images of CVC-ColonDB.
_base_ = ['./colondb_5shot.py']
reference_split = dict(k='all')
