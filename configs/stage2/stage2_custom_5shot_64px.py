# Stage 2 for your own hospital: the polyp stage-1 model aligned to the few frames you have
# (1-10 images, no masks). Every image of the folder is a reference; nothing is held out, so
# validation scores generated images against the references alone (ReferenceCheckMetric: a
# source-vs-references classifier, the leave-one-reference-out floor, texture energy and
# variety; not a held-out score), and HealthCheckHook turns each validation into a verdict
# (took / did not take / unsure), logged and written to <work_dir>/health_check.json.
#   python tools/train.py configs/stage1/stage1_polyp_64px.py \
#       --cfg-options train_dataloader.dataset.data_root=/data/Kvasir-SEG \
#                     val_dataloader.dataset.data_root=/data/Kvasir-SEG    # stage 1 (once)
#   python tools/train.py configs/stage2/stage2_custom_5shot_64px.py \
#       --cfg-options reference_split.folder=/data/my_hospital \
#                     train_dataloader.dataset.data_root=/data/Kvasir-SEG \
#                     val_dataloader.dataset.data_root=/data/Kvasir-SEG
# The source (train_dataloader.dataset: its masks are painted during alignment) is the labelled
# set stage 1 learnt from; a reference that is also a source image is refused.
_base_ = [
    '../_base_/models/alignment_flow_unet_tiny.py',
    '../_base_/datasets/polyp.py',
    '../_base_/schedules/alignment_adamw.py',
    '../_base_/default_runtime.py',
    '../_base_/presets/alignment_appearance.py',
]
reference_split = dict(folder='data/my_hospital', k='all', num_heldout=None)
model = dict(_base_.appearance.model,
             stage1_checkpoint='work_dirs/stage1_polyp_64px/iter_20000.pth',
             stage1_config='configs/stage1/stage1_polyp_64px.py',
             reference_size=_base_.img_size)
optim_wrapper = _base_.appearance.optim_wrapper
train_cfg = _base_.appearance.train_cfg
custom_hooks = _base_.appearance.custom_hooks + [dict(type='HealthCheckHook')]
train_dataloader = dict(batch_size=8)
val_dataloader = dict(dataset=dict(indices=64))
test_dataloader = val_dataloader
# references=None: the images of reference_split.folder; source=None: the images of
# train_dataloader.dataset. The ImageNet EfficientNet-Lite0 features (installed with the
# package) are not the reward's.
val_evaluator = dict(_delete_=True, type='ReferenceCheckMetric', references=None,
                     source=None, feature_space='effnet_lite0')
test_evaluator = val_evaluator
