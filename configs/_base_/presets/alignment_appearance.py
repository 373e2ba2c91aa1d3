# Stage-2 setting for changing the look, not only the statistics: the setting of the polyp
# stage-2 products (docs/notes/study_log.md, "Only the decoder half moves"). Fine-tune only
# the decoder half of the U-Net and its output layers (the encoder, which reads the mask, stays
# at stage 1), no flow-matching loss on the source pairs and a 10x weaker stage-1 anchor (each
# holds the source's look), the mask-effect anchor (holds what the mask changes in the
# velocity), the diversity guard in the reward's own features (keeps the batch as varied as the
# references; needs k >= 2), 3x the learning rate and budget of the plain bases, and the
# reference-floor stopping rule off (the budget ends the run).
# Results: configs/stage2/README.md. The strength before it is kept whole as the study
# projects/alignment_studies/configs/stage2_clinicdb_5shot_{32,64,128,256}px_conservative.py.
# configs/stage2/stage2_clinicdb_5shot_64px.py applies it once, for every polyp product (a preset
# names its dict, since mmengine refuses two bases that define the same key):
#   model = dict(_base_.appearance.model, stage1_checkpoint=..., ...)
#   optim_wrapper = _base_.appearance.optim_wrapper
#   train_cfg = _base_.appearance.train_cfg
#   custom_hooks = _base_.appearance.custom_hooks
appearance = dict(
    model=dict(
        trainable=[r'^velocity_net\.(output_blocks|out_norm|out_conv)\.'],
        losses=[dict(type='Stage1AnchorLoss', loss_weight=0.1),
                dict(type='MaskEffectAnchorLoss', loss_weight=1.0)],
        reward=dict(diversity_guard=dict(weight=1.0))),
    optim_wrapper=dict(optimizer=dict(lr=3e-4)),
    train_cfg=dict(max_iters=300, val_interval=100),
    custom_hooks=[
        dict(type='AlignmentMonitorHook', validate_before_train=True, floor_factor=None,
             min_iters=25),
        dict(type='SampleGridHook', interval=25, num_samples=8),
    ])
