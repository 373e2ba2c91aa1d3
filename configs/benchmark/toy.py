# The protocol end to end on the procedural toy domains (source -> target), every arm,
# on a CPU: what the tests run (with smaller sizes) and a first try for a new user.
#   python tools/benchmark.py configs/benchmark/toy.py --cfg-options \
#       source.data_root=data/toy/source targets.0.folder=data/toy/target
work_dir = 'work_dirs/benchmark/toy'
source = dict(data_root='data/toy/source', ann_file=None)
stage1 = dict(config='configs/stage1/stage1_toy_32px.py', checkpoint=None, cfg_options={})
mask_generator = dict(config='configs/maskflow/maskflow_toy_32px.py', checkpoint=None,
                      cfg_options={})
targets = [
    dict(name='toy_target', folder='data/toy/target', num_heldout=32, shots=5, draws=[0, 1],
         alignment=dict(config='configs/stage2/stage2_toy_10shot_32px.py')),
]
arms = ['real', 'stage1', 'aligned', 'aligned_generated_masks']
segmentors = [dict(name='unet', config='configs/segmentation/unet_polyp_32.py',
                   cfg_options={'train_cfg.max_iters': 300, 'param_scheduler.0.end': 300})]
seeds = [0, 1]
pair_draws_with_seeds = True
synthesis = dict(synthetic_ratio=1.0, seed=0, batch_size=32, num_steps=None, augment=True)
distances = dict(feature_space='randomconv', c2st_seeds=3, real_vs_generated=True)
