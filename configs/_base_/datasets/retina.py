# A retinal vessel dataset in the DRIVE layout: <data_root>/images/*.png|tif +
# <data_root>/masks/*.png (binary vessel masks; a fov/ folder of field-of-view masks is ignored).
# Default: a retinal *source* training set in that layout, e.g. STARE, CHASE_DB1 and HRF merged
# into one folder; DRIVE is kept as the few-shot target (configs/alignflow/drive_*shot.py).
# Point `data_root` at your copy, e.g.
#   --cfg-options train_dataloader.dataset.data_root=/data/CHASE_DB1 \
#                 val_dataloader.dataset.data_root=/data/CHASE_DB1
# `ann_file` (a text file of stems, one per line) picks a split; None takes every pair.
# 64 px keeps stage 1 CPU-sized, but nearest-neighbour resizing breaks the thin vessel tree into
# fragments there (a DRIVE mask: 9 connected components at 565 px, ~110 at 64 px); for usable
# retinal pairs inherit polyp_256.py instead of polyp.py in a copy of this file (GPU).
_base_ = ['./polyp.py']  # same pipelines and loaders, other dataset class and folder
dataset_type = 'RetinalVesselDataset'
data_root = 'data/retina/TrainDataset'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
# Retinal sets are small (20-45 pairs each), so validation takes the first 16.
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, indices=16))
test_dataloader = val_dataloader
