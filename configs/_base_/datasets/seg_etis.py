# ETIS-LaribPolypDB for segmentation at 352 px,
# from `python tools/dataset_converters/etis.py RAW -o data/ETIS-LaribPolypDB`:
# trained on its splits/train.txt, evaluated on its held-out splits/val.txt.
_base_ = ['./seg_polyp_352.py']
data_root = 'data/ETIS-LaribPolypDB'
train_dataloader = dict(dataset=dict(data_root=data_root, ann_file='splits/train.txt'))
val_dataloader = dict(dataset=dict(data_root=data_root, ann_file='splits/val.txt'))
test_dataloader = val_dataloader
