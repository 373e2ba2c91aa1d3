# Stage-2 setting for changing the look, not only the statistics: the default of the polyp
# stage-2 configs (issue 11; docs/benchmarks.md, "Only the decoder half moves"). Fine-tune only
# the decoder half of the U-Net and its output layers (the encoder, which reads the mask, stays
# at stage 1), no flow-matching loss on the source pairs and a 10x weaker stage-1 anchor (each
# holds the source's look), the mask-effect anchor (holds what the mask changes in the
# velocity), the diversity guard in the reward's own features (keeps the batch as varied as the
# references; needs k >= 2), 3x the learning rate and budget of the plain bases, and the
# reference-floor stopping rule off (the budget ends the run).
# Measured at 32 px, 5 references, 3 draws each, on Kvasir-SEG -> CVC-ClinicDB and on the toy
# domains. ClinicDB: C2ST share 56.9% (48.4-64.6 per draw), diversity 1.121 (real 1.099), and
# lesion Dice above stage 1's when rated against the look it has (-20.9% on the source masks
# without that rating). The toys: every draw meets issue 11's goal. At 64 px (3 draws) the same
# setting did worse: C2ST 72.9, 20.8 and 58.9% (mean 50.9%), diversity 15% under real, lesion
# Dice -8.5% rated against its own look; the mean of a run's last five checkpoints
# (tools/analysis/average_checkpoints.py) took the C2ST to 67.3% (every draw >= 48%) and the
# diversity to 23% under real (docs/benchmarks.md, "64 px against 32 px" and "64 px,
# continued"); not re-tuned for 64 px. Downstream, in the 64-px protocol (SegFormer-B0 on
# Kvasir-SEG + 200 synthetic pairs, tested on held-out ClinicDB, 3 draws): lesion Dice per
# image 36.3 against 32.8 with the previous default, 31.5 with stage-1 synthesis and 29.8
# real-only (docs/benchmarks.md, "The protocol again with the appearance default").
# The previous default is kept whole as clinicdb_5shot{,_32,_128,_256}_conservative.py.
# A stage-2 config applies the preset after its bases (a preset names its dict, since mmengine
# refuses two bases that define the same key):
#   _base_ = ['./clinicdb_5shot_32_conservative.py', '../_base_/presets/alignment_appearance.py']
#   model = {{_base_.appearance.model}}
#   optim_wrapper = {{_base_.appearance.optim_wrapper}}
#   train_cfg = {{_base_.appearance.train_cfg}}
#   custom_hooks = {{_base_.appearance.custom_hooks}}
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
