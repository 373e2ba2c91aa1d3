# Mask-conditioned flow with an ADM-sized U-Net for 128-256 px images (GPU).
model = dict(
    type='MaskConditionedFlow',
    num_classes=2,
    velocity_net=dict(
        type='ConditionalUNet',
        base_channels=128,
        channel_mults=(1, 1, 2, 2, 4),
        num_res_blocks=2,
        attention_levels=(3, 4),
        num_heads=4,
        dropout=0.1),
    path=dict(type='CondOTPath'),
    time_sampler=dict(type='LogitNormalTimeSampler', loc=0.0, scale=1.0),
    solver=dict(type='MidpointSolver', num_steps=25),
    cond_dropout=0.1,
    guidance_scale=1.0,
    data_preprocessor=dict(type='PairDataPreprocessor', num_classes=2, bgr_to_rgb=True))
