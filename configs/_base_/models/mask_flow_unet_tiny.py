# Unconditional flow matching of binary masks (MaskFlow) with the tiny U-Net (1 channel in, no
# condition), and the post-processing chain that turns a sampled map into a polyp label: 1-3
# compact blobs, no holes, no specks, 0.5-70% of the image.
model = dict(
    type='MaskFlow',
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
    postprocess=[
        dict(type='Binarize', threshold=0.5),
        dict(type='MorphOpen', kernel_size=3),
        dict(type='FillHoles'),
        dict(type='RemoveSmallComponents', min_fraction=0.002),
        dict(type='KeepLargestComponents', max_count=3),
        dict(type='SmoothBoundary', kernel_size=3),
        dict(type='RejectByArea', min_fraction=0.005, max_fraction=0.7),
        dict(type='RejectByComponents', min_count=1, max_count=3),
    ],
    data_preprocessor=dict(type='PairDataPreprocessor', num_classes=2, bgr_to_rgb=True))
