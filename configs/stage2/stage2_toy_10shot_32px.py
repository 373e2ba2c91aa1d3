# stage2_toy_5shot_32px.py with 10 reference images of the toy target look.
#   python tools/train.py configs/stage2/stage2_toy_10shot_32px.py
_base_ = ['./stage2_toy_5shot_32px.py']
reference_split = dict(k=10)
