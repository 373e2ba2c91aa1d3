# Stage 2 on real polyps at the plain bases' strength, the default before issue 11: the stage-1
# model of polyp_stage1.py (trained on the source polyp set, the common polyp training split by
# default) aligned to 5 reference images of CVC-ClinicDB with flow matching on the source pairs
# (weight 0.5), the full stage-1 anchor, lr 1e-4 for at most 100 iterations and the
# reference-floor stopping rule. It lowers distribution distances and keeps the masks, but the
# images keep the source's look (docs/benchmarks.md). clinicdb_5shot.py, the default, is this
# file with _base_/presets/alignment_appearance.py applied.
#   python tools/train.py configs/alignflow/polyp_stage1.py     # stage 1 (once)
#   python tools/train.py configs/alignflow/clinicdb_5shot_conservative.py
# The target folder needs images only (masks are never read). Other paths through
#   --cfg-options reference_split.folder=/data/CVC-ClinicDB \
#   train_dataloader.dataset.data_root=/data/TrainDataset val_dataloader.dataset.data_root=...
_base_ = [
    '../_base_/models/alignment_flow_unet_tiny.py',
    '../_base_/datasets/polyp.py',
    '../_base_/schedules/alignment_adamw.py',
    '../_base_/default_runtime.py',
]
# The split, once: 100 target images held out for evaluation (the same for every k and seed),
# the k references drawn with `seed` from the others.
reference_split = dict(folder='data/CVC-ClinicDB', k=5, seed=0, num_heldout=100)
model = dict(stage1_checkpoint='work_dirs/polyp_stage1/iter_20000.pth',
             stage1_config='configs/alignflow/polyp_stage1.py',
             reference_size={{_base_.img_size}})
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
