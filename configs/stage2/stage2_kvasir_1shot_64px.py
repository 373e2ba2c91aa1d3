# Kvasir-SEG: the polyp stage-1 model aligned to 1 reference image of Kvasir-SEG
# (stage2_clinicdb_5shot_64px.py with another target or shot count).
#   python tools/train.py configs/stage2/stage2_kvasir_1shot_64px.py
# Kvasir-SEG is the polyp source by default; with it as the target, the source is CVC-ClinicDB
# and stage 1 is trained on it (a target inside the source is refused):
#   python tools/train.py configs/stage1/stage1_polyp_64px.py \
#       --work-dir work_dirs/stage1_polyp_64px_clinicdb \
#       --cfg-options train_dataloader.dataset.data_root=data/CVC-ClinicDB \
#                     val_dataloader.dataset.data_root=data/CVC-ClinicDB
_base_ = ['./stage2_clinicdb_5shot_64px.py']
reference_split = dict(folder='data/Kvasir-SEG', k=1)
# The diversity guard compares the batch's spread with the references'; one has none.
model = dict(reward=dict(diversity_guard=None),
             stage1_checkpoint='work_dirs/stage1_polyp_64px_clinicdb/iter_20000.pth')
train_dataloader = dict(dataset=dict(data_root='data/CVC-ClinicDB'))
val_dataloader = dict(dataset=dict(data_root='data/CVC-ClinicDB'))
test_dataloader = val_dataloader
