# A generator of new retinal vessel masks (MaskFlow) on a fundus set in the DRIVE layout,
# 64 px. Vessel trees are thin, branched and enclose background, so their chain keeps holes,
# any number of branches and no boundary smoothing; it only drops specks. (At 64 px vessels
# are 1-2 px lines; use a 256-px dataset base on a GPU, see _base_/datasets/retina.py.)
#   python tools/train.py configs/maskflow/maskflow_retina_64px.py \
#       --cfg-options train_dataloader.dataset.data_root=/data/CHASE_DB1 \
#                     val_dataloader.dataset.data_root=/data/CHASE_DB1
_base_ = [
    '../_base_/models/mask_flow_unet_tiny.py',
    '../_base_/datasets/retina.py',
    '../_base_/schedules/flow_adamw_cosine_20k.py',
    '../_base_/default_runtime.py',
]
model = dict(postprocess=[
    dict(type='Binarize', threshold=0.5),
    dict(type='RemoveSmallComponents', min_area=4),
    dict(type='RejectByArea', min_fraction=0.02, max_fraction=0.3),
])
val_evaluator = [dict(type='FlowMatchingLossMetric'), dict(type='MaskStatisticsMetric')]
test_evaluator = val_evaluator
