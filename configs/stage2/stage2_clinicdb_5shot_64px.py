# Stage 2 on real polyps, the primitive of every polyp stage-2 config: the stage-1 model of
# stage1_polyp_64px.py (trained on the source polyp set) aligned to 5 reference images of
# CVC-ClinicDB with the appearance preset (_base_/presets/alignment_appearance.py: it changes the
# look, not only the statistics). Targets, shots and sizes are its children,
# stage2_{target}_{k}shot_{size}px.py, each saying only what differs.
#   python tools/train.py configs/stage1/stage1_polyp_64px.py     # stage 1 (once)
#   python tools/train.py configs/stage2/stage2_clinicdb_5shot_64px.py
# The target folder needs images only (masks are never read); the source (Kvasir-SEG, as for
# stage 1) must not hold target images. Other paths through
#   --cfg-options reference_split.folder=/data/CVC-ClinicDB \
#   train_dataloader.dataset.data_root=/data/Kvasir-SEG val_dataloader.dataset.data_root=...
_base_ = [
    '../_base_/models/alignment_flow_unet_tiny.py',
    '../_base_/datasets/polyp.py',
    '../_base_/schedules/alignment_adamw.py',
    '../_base_/default_runtime.py',
    '../_base_/presets/alignment_appearance.py',
]
# The split, once: 100 target images held out for evaluation (the same for every k and seed),
# the k references drawn with `seed` from the others.
reference_split = dict(folder='data/CVC-ClinicDB', k=5, seed=0, num_heldout=100)
# The preset, applied once here (its dict merges over the bases; the children inherit it).
model = dict(_base_.appearance.model,
             stage1_checkpoint='work_dirs/stage1_polyp_64px/iter_20000.pth',
             stage1_config='configs/stage1/stage1_polyp_64px.py',
             reference_size=_base_.img_size)
optim_wrapper = _base_.appearance.optim_wrapper
train_cfg = _base_.appearance.train_cfg
custom_hooks = _base_.appearance.custom_hooks
train_dataloader = dict(batch_size=8)
val_dataloader = dict(dataset=dict(indices=64))
test_dataloader = val_dataloader
# Judged in a feature space the reward does not use, on the held-out target images
# (real=None: those of reference_split, never the references).
val_evaluator = dict(
    _delete_=True,
    type='GenerationMetric',
    real=None,
    feature_space='randomconv',
    measures=('kid', 'mmd', 'c2st'),
    c2st_source=None,  # None: the source = the images of train_dataloader.dataset
    diversity_networks=10)  # the spread in 10 more random CNNs, as a ratio to real
test_evaluator = val_evaluator
