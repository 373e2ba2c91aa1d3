# The whole method on the procedural toy domains in about ten minutes on 2 CPU cores: what
# `python tools/demo.py` runs. It writes the toy source and target folders into its work dir
# and points `source.data_root` and `targets.0.folder` at them; any protocol config runs the
# same way through tools/benchmark.py. Schedules are cut from the toy configs' (stage 1 and the
# mask generator 2000 iterations, stage 2 300) to fit the ten minutes; the alignment keeps the
# appearance preset, the toy setting that changes the look (projects/alignment_studies).
#   python tools/demo.py                 # this protocol, report in work_dirs/demo/report/
#   python tools/demo.py --quick         # configs/benchmark/demo_quick.py: a smoke run
work_dir = 'work_dirs/demo'
# The toy folders tools/demo.py writes into <work_dir>/data/ (alignflow.protocol.demo).
_toy = dict(img_size=32, num_source=200, num_target=96)
source = dict(data_root='work_dirs/demo/data/toy_source', ann_file=None)
_stage1_iters = 400
_stage1 = {
    'train_cfg.max_iters': _stage1_iters, 'train_cfg.val_interval': _stage1_iters,
    'param_scheduler.1.T_max': _stage1_iters - 100, 'param_scheduler.1.end': _stage1_iters,
    'default_hooks.checkpoint.interval': _stage1_iters, 'custom_hooks.1.interval': 100,
    'val_dataloader.dataset.indices': 32, 'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False}
stage1 = dict(config='configs/stage1/stage1_toy_32px.py', checkpoint=None, cfg_options=_stage1)
_masks_iters = 300
mask_generator = dict(config='configs/maskflow/maskflow_toy_32px.py', checkpoint=None,
                      cfg_options=dict(_stage1, **{
                          'train_cfg.max_iters': _masks_iters,
                          'train_cfg.val_interval': _masks_iters,
                          'param_scheduler.1.T_max': _masks_iters - 100,
                          'param_scheduler.1.end': _masks_iters,
                          'default_hooks.checkpoint.interval': _masks_iters}))
_align_iters = 60
targets = [
    dict(name='toy_target', folder='work_dirs/demo/data/toy_target', num_heldout=48, shots=5,
         draws=[0],
         alignment=dict(
             config='projects/alignment_studies/configs/stage2_toy_5shot_32px_appearance.py',
             cfg_options={
                 'train_cfg.max_iters': _align_iters, 'train_cfg.val_interval': 20,
                 'default_hooks.checkpoint.interval': _align_iters,
                 'custom_hooks.1.interval': 20,
                 'val_dataloader.dataset.indices': 32, 'train_dataloader.num_workers': 0,
                 'train_dataloader.persistent_workers': False})),
]
arms = ['real', 'stage1', 'aligned', 'aligned_generated_masks']
# The segmentor's rate 5x its config's: at 1e-3 the tiny U-Net predicts background only for
# its first 500 iterations; at 5e-3 it finds the lesions by 150 (docs/notes/demo_timing.md).
_seg_iters = 300
segmentors = [dict(name='unet', config='configs/segmentation/unet_polyp_32.py',
                   cfg_options={'train_cfg.max_iters': _seg_iters,
                                'train_cfg.val_interval': 50,
                                'optim_wrapper.optimizer.lr': 5e-3,
                                'param_scheduler.0.end': _seg_iters,
                                'default_hooks.checkpoint.interval': _seg_iters,
                                'train_dataloader.num_workers': 0,
                                'train_dataloader.persistent_workers': False,
                                'test_dataloader.num_workers': 0,
                                'test_dataloader.persistent_workers': False})]
seeds = [0, 1]
pair_draws_with_seeds = False  # the one draw with every seed
synthesis = dict(synthetic_ratio=1.0, seed=0, batch_size=50, num_steps=None, augment=True)
distances = dict(feature_space='randomconv', c2st_seeds=3, c2st_steps=300)
