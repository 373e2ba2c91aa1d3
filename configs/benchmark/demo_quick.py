# configs/benchmark/demo.py as a smoke run of a minute or two (`python tools/demo.py --quick`,
# what the tests run): fewer toy images, every training a handful of iterations, two seeds.
# Its images show the pipeline, not the method: nothing trains long enough to paint polyps.
_base_ = ['./demo.py']
work_dir = 'work_dirs/demo_quick'
_toy = dict(img_size=32, num_source=24, num_target=24)
_tiny = {'train_cfg.max_iters': 4, 'train_cfg.val_interval': 2,
         'default_hooks.checkpoint.interval': 4, 'train_dataloader.batch_size': 4,
         'val_dataloader.dataset.indices': 8, 'train_dataloader.num_workers': 0,
         'train_dataloader.persistent_workers': False}
_constant = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=1)]
# _delete_: these options replace demo.py's, not merge into them.
stage1 = dict(cfg_options=dict(
    _tiny, _delete_=True, **{'param_scheduler': _constant, 'custom_hooks.1.interval': 4}))
# An untrained mask generator paints noise: keep the chain from rejecting every mask.
mask_generator = dict(cfg_options=dict(
    _tiny, _delete_=True,
    **{'param_scheduler': _constant, 'custom_hooks.1.interval': 4,
       'model.postprocess': [dict(type='Binarize', threshold=0.5)]}))
targets = [
    dict(name='toy_target', folder='work_dirs/demo_quick/data/toy_target', num_heldout=12,
         shots=5, draws=[0],
         alignment=dict(
             config='projects/alignment_studies/configs/stage2_toy_5shot_32px_appearance.py',
             cfg_options=dict(_tiny, **{'custom_hooks.1.interval': 2,
                                        'model.num_steps': 4, 'model.grad_last_k': 2,
                                        'val_evaluator.c2st_steps': 5,
                                        'val_evaluator.diversity_networks': 0})))
]
segmentors = [dict(name='unet', config='configs/segmentation/unet_polyp_32.py',
                   cfg_options={'train_cfg.max_iters': 4, 'train_cfg.val_interval': 2,
                                'param_scheduler.0.end': 4,
                                'default_hooks.checkpoint.interval': 4,
                                'train_dataloader.batch_size': 4,
                                'train_dataloader.num_workers': 0,
                                'train_dataloader.persistent_workers': False,
                                'test_dataloader.num_workers': 0,
                                'test_dataloader.persistent_workers': False})]
seeds = [0, 1]
synthesis = dict(synthetic_ratio=1.0, seed=0, batch_size=24, num_steps=4, augment=True)
distances = dict(feature_space='randomconv', c2st_seeds=1, c2st_steps=5)
