# Stage 2 of a flow_unet_base stage-1 model (128-256 px, GPU): alignment_flow_unet_tiny.py's
# reward and weights; sampling keeps the generator's midpoint solver with 10 steps while
# aligning, gradients through the last 5 (checkpointed, so memory does not grow with them).
_base_ = ['./flow_unet_base.py']
model = dict(
    _delete_=True,
    type='FewShotAlignment',
    generator={{_base_.model}},
    stage1_checkpoint=None,
    stage1_config=None,
    reward=dict(type='MMDReward', feature_extractor=dict(type='LowLevelStatistics'),
                hf_guard=dict(tolerance=0.1, weight=1.0)),
    reference_images=None,  # filled in from the top-level reference_split
    num_steps=10,
    grad_last_k=5,
    losses=[dict(type='FlowMatchingLoss', loss_weight=0.5),
            dict(type='Stage1AnchorLoss', loss_weight=1.0)])
