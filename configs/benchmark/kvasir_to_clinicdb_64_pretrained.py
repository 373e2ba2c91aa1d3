# The protocol of kvasir_to_clinicdb_64.py with a segmentor that starts from ImageNet: Semantic
# FPN on EfficientNet-Lite0 (fpn_effnet-lite0_polyp_64.py; the weights install with the
# package), three seeds per arm. Everything else (source, target, draws, synthesis, distances)
# is the base's. Results: configs/segmentation/README.md.
#   python tools/benchmark.py configs/benchmark/kvasir_to_clinicdb_64_pretrained.py \
#       --cfg-options source.data_root=data/Kvasir-SEG targets.0.folder=data/CVC-ClinicDB
_base_ = ['./kvasir_to_clinicdb_64.py']
work_dir = 'work_dirs/benchmark/kvasir_to_clinicdb_64_pretrained'
segmentors = [
    dict(name='fpn_effnet-lite0', config='configs/segmentation/fpn_effnet-lite0_polyp_64.py',
         cfg_options={'train_cfg.max_iters': 1000, 'param_scheduler.0.end': 1000,
                      'default_hooks.checkpoint.interval': 1000}),
]
