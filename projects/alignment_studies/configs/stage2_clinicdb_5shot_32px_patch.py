# stage2_clinicdb_5shot_32px_conservative.py with a patch-level reward: MMD between the 16x16
# patches (stride 8, 9 per image) of generated images and of the references, so 5 references
# give 5 x 4 views x 9 patches = 180 feature vectors instead of 20 (more samples from few
# references).
#   python tools/train.py projects/alignment_studies/configs/stage2_clinicdb_5shot_32px_patch.py
_base_ = ['./stage2_clinicdb_5shot_32px_conservative.py']
model = dict(reward=dict(bank=dict(patch_size=16, patch_stride=8)))
