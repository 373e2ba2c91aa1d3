# The paper's protocol at a CPU-sized resolution: Kvasir-SEG as the source hospital, CVC-ClinicDB
# as the target; real-only vs + stage-1 synthesis vs + aligned synthesis (5 references, three
# draws, seed i with draw i), U-Net and SegFormer-B0 at 64 px, three seeds each; segmentors
# tested on 100 held-out ClinicDB images (never the references). Results: configs/stage2/README.md
# (the study projects/alignment_studies/configs/stage2_clinicdb_5shot_64px_conservative.py enters
# as targets.0.alignment.config=...). Stage-2 runs trained already enter as
# targets.0.alignment.checkpoints=[draw0.pth,draw1.pth,draw2.pth] (docs/user_guides/7_protocol.md).
#   python tools/benchmark.py configs/benchmark/kvasir_to_clinicdb_64.py --cfg-options \
#       source.data_root=data/Kvasir-SEG targets.0.folder=data/CVC-ClinicDB
work_dir = 'work_dirs/benchmark/kvasir_to_clinicdb_64'
source = dict(data_root='data/Kvasir-SEG', ann_file=None)
stage1 = dict(config='configs/stage1/stage1_polyp_64px-3k.py', checkpoint=None, cfg_options={})
mask_generator = None
targets = [
    dict(name='clinicdb', folder='data/CVC-ClinicDB', num_heldout=100, shots=5,
         draws=[0, 1, 2],
         alignment=dict(config='configs/stage2/stage2_clinicdb_5shot_64px.py')),
]
arms = ['real', 'stage1', 'aligned']
# Segmentors: 1000 iterations of batch 16 (80 epochs of the 200 real pairs) on the CPU.
_seg_schedule = {'train_cfg.max_iters': 1000, 'param_scheduler.0.end': 1000,
                'default_hooks.checkpoint.interval': 1000}
segmentors = [
    dict(name='unet', config='configs/segmentation/unet_polyp_64.py', cfg_options=_seg_schedule),
    dict(name='segformer_mit-b0', config='configs/segmentation/segformer_mit-b0_polyp_64.py',
         cfg_options=_seg_schedule),
]
seeds = [0, 1, 2]
pair_draws_with_seeds = True
# One synthetic pair per real source pair, source masks with random flips and rotations.
synthesis = dict(synthetic_ratio=1.0, seed=0, batch_size=50, num_steps=None, augment=True)
distances = dict(feature_space='randomconv', c2st_seeds=3, real_vs_generated=True)
