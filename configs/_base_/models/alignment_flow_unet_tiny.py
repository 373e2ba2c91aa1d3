# Stage 2: FewShotAlignment of a flow_unet_tiny stage-1 model with MMD on weight-free
# low-level statistics. Child configs set model.stage1_checkpoint, model.stage1_config,
# model.reference_size (the dataset's img_size) and the top-level reference_split.
_base_ = ['./flow_unet_tiny.py']
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
