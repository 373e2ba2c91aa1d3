# The toy stage 2 with its reward measured in ColourMomentsFeatures, a feature extractor
# registered in this project's package. Needs the toy stage-1 checkpoint
# (configs/stage1/stage1_toy_32px.py).
#   PYTHONPATH=projects/example_features python tools/train.py \
#       projects/example_features/configs/stage2_toy_5shot_32px_colour.py
_base_ = ['../../../configs/stage2/stage2_toy_5shot_32px.py']
custom_imports = dict(imports=['example_features'], allow_failed_imports=False)
model = dict(reward=dict(feature_extractor=dict(_delete_=True, type='ColourMomentsFeatures')))
