# The polyp product (configs/stage2/stage2_clinicdb_5shot_64px.py) with the diversity guard in
# four random CNNs at once (seeds 1-4; the generation metric's own is seed 0, left out so that
# the guard is not tuned to the figure it is judged by), each holding the spread the stage-1
# generator had in it: the shortfall is averaged over the four, so the guard acts as soon as one
# of them sees the spread fall. model.reward.diversity_guard.target=stage1_batch holds each
# batch to stage 1's own from the same noise instead.
#   python tools/train.py projects/alignment_studies/configs/stage2_clinicdb_5shot_64px_guard-nets.py
_base_ = ['../../../configs/stage2/stage2_clinicdb_5shot_64px.py']
model = dict(reward=dict(diversity_guard=dict(target='stage1', features=[
    dict(type='RandomConvFeatures', seed=1),
    dict(type='RandomConvFeatures', seed=2),
    dict(type='RandomConvFeatures', seed=3),
    dict(type='RandomConvFeatures', seed=4),
])))
