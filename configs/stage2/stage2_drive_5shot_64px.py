# Stage 2 on fundus images, the retinal primitive: the stage-1 model of stage1_retina_64px.py
# (trained on the retinal source set) aligned to 5 reference images of DRIVE.
# stage2_drive_{1,10,full}shot_64px.py are its children.
#   python tools/train.py configs/stage1/stage1_retina_64px.py     # stage 1 (once)
#   python tools/train.py configs/stage2/stage2_drive_5shot_64px.py
# The target folder needs images only (masks are never read). Other paths through
#   --cfg-options reference_split.folder=/data/DRIVE
#   train_dataloader.dataset.data_root=/data/CHASE_DB1 val_dataloader.dataset.data_root=...
# Reward: the base model's LowLevelStatistics, unchanged. Fundus cameras differ first in colour
# cast, illumination fall-off and the field-of-view border (colour and pooled-layout groups) and
# in blur (texture and high-frequency groups); at 64 px vessels are 1 px lines that the
# full-resolution texture scale already sees, and the reward's hf_guard keeps the high-frequency energy
# within the references' range.
_base_ = [
    '../_base_/models/alignment_flow_unet_tiny.py',
    '../_base_/datasets/retina.py',
    '../_base_/schedules/alignment_adamw.py',
    '../_base_/default_runtime.py',
]
# DRIVE holds only 40 images: 20 are held out for evaluation (KID/MMD), which leaves 20 to draw
# references from, so 10 shots still have a disjoint choice and 'full' means those 20.
reference_split = dict(folder='data/DRIVE', k=5, seed=0, num_heldout=20)
model = dict(stage1_checkpoint='work_dirs/stage1_retina_64px/iter_20000.pth',
             stage1_config='configs/stage1/stage1_retina_64px.py',
             reference_size={{_base_.img_size}})
train_dataloader = dict(batch_size=8)
# Judged on the held-out DRIVE images (real=None: those of reference_split).
val_evaluator = dict(
    _delete_=True,
    type='GenerationMetric',
    real=None,
    feature_space='randomconv',
    measures=('kid', 'mmd', 'c2st'),
    c2st_source=None,  # None: the source = the images of train_dataloader.dataset
    diversity_networks=10)  # the spread in 10 more random CNNs, as a ratio to real
test_evaluator = val_evaluator
