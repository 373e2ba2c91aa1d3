# Stage 2 on the toy domains, the toy primitive: the stage-1 model of stage1_toy_32px.py (toy
# "source" look) aligned to 5 reference images of the toy "target" look.
# stage2_toy_{1,10,full}shot_32px.py are its children.
#   python tools/train.py configs/stage1/stage1_toy_32px.py      # stage 1 (once)
#   python tools/train.py configs/stage2/stage2_toy_5shot_32px.py
_base_ = [
    '../_base_/models/alignment_flow_unet_tiny.py',
    '../_base_/datasets/toy_polyp.py',
    '../_base_/schedules/alignment_adamw.py',
    '../_base_/default_runtime.py',
]
# Target domain: images only. A fixed half is held out for evaluation; the k references are
# drawn with `seed` from the other half (k='all' takes the whole other half). Siblings change
# only what differs, e.g. reference_split = dict(k=10).
reference_split = dict(
    folder=dict(type='ToyPolypDataset', num_samples=200, img_size=32, domain='target',
                seed=100),
    k=5,
    seed=0,
    num_heldout=100)
model = dict(stage1_checkpoint='work_dirs/stage1_toy_32px/iter_2000.pth',
             stage1_config='configs/stage1/stage1_toy_32px.py',
             reference_size={{_base_.img_size}})

train_dataloader = dict(batch_size=8)
val_dataloader = dict(batch_size=16, dataset=dict(num_samples=64))
test_dataloader = val_dataloader
# Judged in a feature space the reward does not use, on the held-out target images
# (real=None: those of reference_split, never the references).
val_evaluator = dict(
    _delete_=True,
    type='GenerationMetric',
    real=None,
    feature_space='randomconv',
    measures=('kid', 'mmd', 'c2st'),
    c2st_source=None,  # None: the source = the images of train_dataloader.dataset
    diversity_networks=10)  # the spread in 10 more random CNNs, as a ratio to real
test_evaluator = val_evaluator
