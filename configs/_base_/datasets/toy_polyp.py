# Procedural polyp-like scenes rendered on first use into a cache folder: no download needed.
# `domain` picks the look ('source' or 'target', or a dict of ToyDomain fields).
dataset_type = 'ToyPolypDataset'
img_size = 32
domain = 'source'
train_pipeline = [
    dict(type='LoadCheckedImage'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackSegInputs'),
]
test_pipeline = [step for step in train_pipeline if step['type'] != 'RandomFlip']
train_dataloader = dict(
    batch_size=16,
    num_workers=1,  # augmentation in a worker keeps resumed runs exact (see RNGStateHook)
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, num_samples=512, img_size=img_size, domain=domain, seed=0,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, num_samples=32, img_size=img_size, domain=domain, seed=1,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
# Held-out flow-matching loss, and KID/MMD to 200 other real images of the same look in a
# weight-free feature space (set feature_space='inception' when you have the FID weights).
val_evaluator = [
    dict(type='FlowMatchingLossMetric'),
    dict(type='GenerationMetric', feature_space='randomconv', measures=('kid', 'mmd'),
         real=dict(type=dataset_type, num_samples=200, img_size=img_size, domain=domain,
                   seed=2)),
]
test_evaluator = val_evaluator
