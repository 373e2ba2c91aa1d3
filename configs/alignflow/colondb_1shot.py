# CVC-ColonDB: colondb_5shot.py with 1 reference image of CVC-ColonDB.
_base_ = ['./colondb_5shot.py']
reference_split = dict(k=1)
