# clinicdb_5shot_conservative.py at 128 px on flow_unet_base, from the stage 1 of
# polyp_stage1_128.py (GPU):
#   python tools/train.py configs/alignflow/clinicdb_5shot_128_conservative.py --amp
# Resolution variants compose the same-resolution bases (a text config cannot re-resolve the
# pipelines of the 64-px one) and repeat clinicdb_5shot_conservative.py's lines.
_base_ = [
    '../_base_/models/alignment_flow_unet_base.py',
    '../_base_/datasets/polyp_128.py',
    '../_base_/schedules/alignment_adamw.py',
    '../_base_/default_runtime.py',
]
reference_split = dict(folder='data/CVC-ClinicDB', k=5, seed=0, num_heldout=100)
model = dict(stage1_checkpoint='work_dirs/polyp_stage1_128/iter_20000.pth',
             stage1_config='configs/alignflow/polyp_stage1_128.py',
             reference_size={{_base_.img_size}})
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
