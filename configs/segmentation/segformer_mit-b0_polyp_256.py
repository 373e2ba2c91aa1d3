# segformer_mit-b0 on a polyp dataset at 256 px with the GPU schedule: the real-only segmentor
# of the 256-px chain (Kvasir-SEG -> CVC-ClinicDB; segformer_mit-b0_polyp_256_syn.py adds the
# synthetic pairs).
#   python tools/train.py configs/segmentation/segformer_mit-b0_polyp_256.py
_base_ = [
    '../_base_/models/seg_segformer_mit-b0.py',
    '../_base_/datasets/seg_polyp_256.py',
    '../_base_/schedules/seg_adamw_poly_20k.py',
    '../_base_/default_runtime.py',
]
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
