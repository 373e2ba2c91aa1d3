# The polyp stage 2 at the plain bases' strength, the polyp default before the appearance
# preset: stage2_clinicdb_5shot_64px.py without _base_/presets/alignment_appearance.py, i.e. flow
# matching on the source pairs (weight 0.5), the full stage-1 anchor, every weight trained,
# lr 1e-4 for at most 100 iterations and the reference-floor stopping rule.
# It composes the bases itself rather than inheriting the product: a child can add or replace
# keys but not drop those the preset adds (model.trainable, the diversity guard).
#   python tools/train.py configs/stage1/stage1_polyp_64px.py     # stage 1 (once)
#   python tools/train.py projects/alignment_studies/configs/stage2_clinicdb_5shot_64px_conservative.py
_base_ = [
    '../../../configs/_base_/models/alignment_flow_unet_tiny.py',
    '../../../configs/_base_/datasets/polyp.py',
    '../../../configs/_base_/schedules/alignment_adamw.py',
    '../../../configs/_base_/default_runtime.py',
]
reference_split = dict(folder='data/CVC-ClinicDB', k=5, seed=0, num_heldout=100)
model = dict(stage1_checkpoint='work_dirs/stage1_polyp_64px/iter_20000.pth',
             stage1_config='configs/stage1/stage1_polyp_64px.py',
             reference_size=_base_.img_size)
train_dataloader = dict(batch_size=8)
val_dataloader = dict(dataset=dict(indices=64))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,
    type='GenerationMetric',
    real=None,
    feature_space='randomconv',
    measures=('kid', 'mmd', 'c2st'),
    c2st_source=None,  # None: the source = the images of train_dataloader.dataset
    diversity_networks=10)  # the spread in 10 more random CNNs, as a ratio to real
test_evaluator = val_evaluator
