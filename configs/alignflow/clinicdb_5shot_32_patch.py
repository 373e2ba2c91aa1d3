# clinicdb_5shot_32_conservative.py (the strength it was measured at) with a patch-level reward:
# MMD between the 16x16 patches (stride 8, 9 per image) of generated images and of the
# references, so 5 references give 5 x 4 views x 9 patches = 180 feature vectors instead of 20
# (issue 11's "more samples from few references").
_base_ = ['./clinicdb_5shot_32_conservative.py']
model = dict(reward=dict(bank=dict(patch_size=16, patch_stride=8)))
