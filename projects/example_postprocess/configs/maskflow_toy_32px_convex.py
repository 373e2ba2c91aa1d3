# configs/maskflow/maskflow_toy_32px.py with two post-processing steps registered in this
# project's package: ConvexHull makes each blob convex (in place of SmoothBoundary), and
# RejectByEccentricity refuses a mask with a streak-like blob; 0.95 (a 3.2:1 ellipse) lets every
# blob of the toy training masks pass. The chain is part of the config: a trained mask generator
# synthesises with it without retraining. It composes that config's bases itself (a child of it
# would be four levels deep).
#   PYTHONPATH=projects/example_postprocess python tools/train.py \
#       projects/example_postprocess/configs/maskflow_toy_32px_convex.py
_base_ = [
    '../../../configs/_base_/models/mask_flow_unet_tiny.py',
    '../../../configs/_base_/datasets/toy_polyp.py',
    '../../../configs/_base_/schedules/flow_adamw_cosine_2k.py',
    '../../../configs/_base_/default_runtime.py',
]
custom_imports = dict(imports=['example_postprocess'], allow_failed_imports=False)
model = dict(postprocess=[
    dict(type='Binarize', threshold=0.5),
    dict(type='MorphOpen', kernel_size=3),
    dict(type='FillHoles'),
    dict(type='RemoveSmallComponents', min_fraction=0.002),
    dict(type='KeepLargestComponents', max_count=3),
    dict(type='ConvexHull'),
    dict(type='RejectByEccentricity', max_eccentricity=0.95),
    dict(type='RejectByArea', min_fraction=0.005, max_fraction=0.7),
    dict(type='RejectByComponents', min_count=1, max_count=3),
])
val_evaluator = [dict(type='FlowMatchingLossMetric'), dict(type='MaskStatisticsMetric')]
test_evaluator = val_evaluator
