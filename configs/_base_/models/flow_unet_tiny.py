# Mask-conditioned flow with a ~1M-parameter U-Net: the toy demo, tests, CPU runs at 32-64 px.
model = dict(
    type='MaskConditionedFlow',
    num_classes=2,
    velocity_net=dict(
        type='ConditionalUNet',
        base_channels=32,
        channel_mults=(1, 2, 2),
        num_res_blocks=1,
        attention_levels=(2, ),
        num_heads=4,
        dropout=0.0),
    path=dict(type='CondOTPath'),
    time_sampler=dict(type='LogitNormalTimeSampler', loc=0.0, scale=1.0),
    solver=dict(type='EulerSolver', num_steps=25),
    cond_dropout=0.1,
    guidance_scale=1.0,
    data_preprocessor=dict(type='PairDataPreprocessor', num_classes=2, bgr_to_rgb=True))
