_base_ = ['../../../configs/alignflow/toy_5shot.py']
custom_imports = dict(imports=['example_reward'], allow_failed_imports=False)
model = dict(reward=dict(_delete_=True, type='EnergyDistanceReward',
                         feature_extractor=dict(type='LowLevelStatistics')))
