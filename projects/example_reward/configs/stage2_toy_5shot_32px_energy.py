_base_ = ['../../../configs/stage2/stage2_toy_5shot_32px.py']
custom_imports = dict(imports=['example_reward'], allow_failed_imports=False)
model = dict(reward=dict(_delete_=True, type='EnergyDistanceReward',
                         feature_extractor=dict(type='LowLevelStatistics')))
