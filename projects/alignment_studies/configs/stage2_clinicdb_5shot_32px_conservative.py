# stage2_clinicdb_5shot_64px_conservative.py at 32 px, from the stage 1 of
# stage1_polyp_32px-3k.py: the CPU-sized strength the 32-px lever studies start from. It composes
# the bases itself (not inheriting the 64-px study) so that its own children stay within three
# levels; the size re-derives the pipelines as _base_/datasets/polyp_32.py does.
#   python tools/train.py configs/stage1/stage1_polyp_32px-3k.py     # stage 1 (once)
#   python tools/train.py projects/alignment_studies/configs/stage2_clinicdb_5shot_32px_conservative.py
_base_ = [
    '../../../configs/_base_/models/alignment_flow_unet_tiny.py',
    '../../../configs/_base_/datasets/polyp.py',
    '../../../configs/_base_/schedules/alignment_adamw.py',
    '../../../configs/_base_/default_runtime.py',
]
img_size = 32
train_pipeline = [dict(step, scale=(img_size, img_size)) if step.type == 'Resize' else step
                  for step in _base_.train_pipeline]
test_pipeline = [dict(step, scale=(img_size, img_size)) if step.type == 'Resize' else step
                 for step in _base_.test_pipeline]
reference_split = dict(folder='data/CVC-ClinicDB', k=5, seed=0, num_heldout=100)
model = dict(stage1_checkpoint='work_dirs/stage1_polyp_32px-3k/iter_3000.pth',
             stage1_config='configs/stage1/stage1_polyp_32px-3k.py',
             reference_size=img_size)
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(indices=64, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,
    type='GenerationMetric',
    real=None,
    feature_space='randomconv',
    measures=('kid', 'mmd', 'c2st'),
    c2st_source=None,  # None: the source = the images of train_dataloader.dataset
    diversity_networks=10)  # the spread in 10 more random CNNs, as a ratio to real
test_evaluator = val_evaluator
