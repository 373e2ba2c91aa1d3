# stage2_toy_5shot_32px.py with 1 reference image of the toy target look.
#   python tools/train.py configs/stage2/stage2_toy_1shot_32px.py
_base_ = ['./stage2_toy_5shot_32px.py']
reference_split = dict(k=1)
