# DRIVE vessels for segmentation at 512 px, in the images/ + masks/ layout with a
# splits/train.txt and a held-out splits/val.txt (stems, one per line); trained on the first,
# evaluated on the second, as `python tools/dataset_converters/drive.py RAW -o data/DRIVE`
# writes them.
_base_ = ['./seg_retina_512.py']
data_root = 'data/DRIVE'
train_dataloader = dict(dataset=dict(data_root=data_root, ann_file='splits/train.txt'))
val_dataloader = dict(dataset=dict(data_root=data_root, ann_file='splits/val.txt'))
test_dataloader = val_dataloader
