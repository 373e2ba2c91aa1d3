# The common polyp benchmark split (PraNet): trained on TrainDataset (900 Kvasir-SEG + 550
# CVC-ClinicDB pairs), tested on each of TestDataset/{Kvasir,CVC-ClinicDB,CVC-ColonDB,
# ETIS-LaribPolypDB,CVC-300}, as `python tools/dataset_converters/pranet.py RAW -o data/polyp`
# writes them.
# Test on another of the five with
#   python tools/test.py CONFIG CKPT --cfg-options \
#       test_dataloader.dataset.data_root=data/polyp/TestDataset/ETIS-LaribPolypDB
_base_ = ['./seg_polyp_352.py']
data_root = 'data/polyp/TrainDataset'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root='data/polyp/TestDataset/CVC-ClinicDB'))
test_dataloader = val_dataloader
