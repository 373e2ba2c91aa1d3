# stage2_toy_5shot_32px.py with all the reference images of the toy target look.
#   python tools/train.py configs/stage2/stage2_toy_fullshot_32px.py
_base_ = ['./stage2_toy_5shot_32px.py']
reference_split = dict(k='all')
