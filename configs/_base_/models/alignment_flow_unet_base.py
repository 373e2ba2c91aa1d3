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
                hf_tolerance=0.1),
    reference_images=None,  # filled in from the top-level reference_split
    num_steps=10,
    grad_last_k=5,
    fm_weight=0.5,
    anchor_weight=1.0)
