# Stage 2 of a flow_unet_base stage-1 model (128-256 px, GPU): alignment_flow_unet_tiny.py's
# reward and weights; sampling keeps the generator's midpoint solver with 10 steps while
# aligning, gradients through the last 5 (checkpointed, so memory does not grow with them).
# The generator is flow_unet_base.py's model written out, as in alignment_flow_unet_tiny.py.
model = dict(
    type='FewShotAlignment',
    generator=dict(
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
