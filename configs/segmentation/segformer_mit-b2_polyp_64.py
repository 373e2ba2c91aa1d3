# segformer_mit-b2 on a polyp dataset at 64 px with the CPU-sized schedule: the segmentor of the
# downstream protocol (configs/benchmark/; results: configs/segmentation/README.md).
_base_ = [
    '../_base_/models/seg_segformer_mit-b2.py',
    '../_base_/datasets/seg_polyp_64.py',
    '../_base_/schedules/seg_adamw_poly_3k.py',
    '../_base_/default_runtime.py',
]
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
