# Stage 2: FewShotAlignment of a flow_unet_tiny stage-1 model with MMD on weight-free
# low-level statistics. Child configs set model.stage1_checkpoint, model.stage1_config,
# model.reference_size (the dataset's img_size) and the top-level reference_split.
# The generator is flow_unet_tiny.py's model written out (tests/test_configs.py holds them equal),
# so that a stage-2 config stays within three levels of inheritance.
model = dict(
    type='FewShotAlignment',
    generator=dict(
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
        data_preprocessor=dict(type='PairDataPreprocessor', num_classes=2, bgr_to_rgb=True)),
    stage1_checkpoint=None,
    stage1_config=None,
    reward=dict(type='MMDReward', feature_extractor=dict(type='LowLevelStatistics'),
                hf_guard=dict(tolerance=0.1, weight=1.0)),
    reference_images=None,  # filled in from the top-level reference_split
    num_steps=10,
    grad_last_k=5,
    losses=[dict(type='FlowMatchingLoss', loss_weight=0.5),
            dict(type='Stage1AnchorLoss', loss_weight=1.0)])
