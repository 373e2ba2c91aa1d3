# CHASE_DB1 vessels for segmentation at 512 px, in the images/ + masks/ layout with a
# splits/train.txt and a held-out splits/val.txt (stems, one per line); trained on the first,
# evaluated on the second, as `python tools/dataset_converters/chase_db1.py RAW -o data/CHASE_DB1`
# writes them.
_base_ = ['./seg_retina_512.py']
data_root = 'data/CHASE_DB1'
train_dataloader = dict(dataset=dict(data_root=data_root, ann_file='splits/train.txt'))
val_dataloader = dict(dataset=dict(data_root=data_root, ann_file='splits/val.txt'))
test_dataloader = val_dataloader
