"""Write a synthetic dataset: new masks (or source masks) painted by a trained image generator.

    python tools/synthesize.py IMAGE_CONFIG IMAGE_CKPT --num 2000 --out-dir data/synthetic/x \
        (--mask-config MASK_CONFIG --mask-ckpt MASK_CKPT | --source-masks DATASET [--augment])
        [--seed 0] [--batch-size 16] [--num-steps N] [--guidance-scale S] [--max-retries 20]
        [--filter-adherence SEG_CONFIG SEG_CKPT --min-dice 0.5] [--overwrite] [--device cuda]

IMAGE_CONFIG/IMAGE_CKPT: a stage-1 model, a stage-2 (aligned) model, or an exported one. See
``alignflow.apis.synthesize`` for the output layout, determinism and resuming.
"""
import argparse
import os

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
import torch
import torch.distributed as torch_dist
from alignflow.apis.generators import load_image_generator, load_mask_generator
from alignflow.apis.synthesize import (DatasetMasks, GeneratedMasks, SynthesisSettings,
                                       file_sha256, synthesize)
from alignflow.datasets.mask_io import parse_colour_map
from alignflow.evaluation import AdherenceGate, load_segmentor
from alignflow.utils import register_all_modules
from alignflow.utils.checkpoint import check_checkpoint_file
from alignflow.utils.cli import add_debug_argument, user_errors
from mmengine.config import Config
from mmengine.dist import get_dist_info


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('image_config', help='config of the image generator')
    parser.add_argument('image_checkpoint', help='its checkpoint (stage 1, stage 2 or exported)')
    parser.add_argument('--num', '--num-pairs', dest='num', type=int, required=True,
                        help='number of pairs')
    parser.add_argument('--out-dir', required=True, help='output folder (images/ + masks/)')
    parser.add_argument('--mask-config', help='config of the mask generator (MaskFlow)')
    parser.add_argument('--mask-ckpt', help='its checkpoint')
    parser.add_argument('--source-masks', help='paint masks of this dataset instead')
    parser.add_argument('--mask-colors', nargs='+', metavar='R,G,B=CLASS',
                        help='with --source-masks of colour masks: the class (0 or 1) of each '
                             'colour, e.g. 0,0,0=0 255,0,0=1')
    parser.add_argument('--augment', action='store_true',
                        help='with --source-masks: random flips and 90-degree rotations')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--num-steps', type=int, help='image solver steps')
    parser.add_argument('--mask-num-steps', type=int, help='mask solver steps')
    parser.add_argument('--guidance-scale', type=float)
    parser.add_argument('--max-retries', type=int, default=20,
                        help='redraws of a mask that post-processing rejects')
    parser.add_argument('--filter-adherence', nargs=2, metavar=('SEG_CONFIG', 'SEG_CKPT'),
                        help='keep only pairs in which a segmentor trained on real pairs finds '
                             'the lesion where the mask says (others are drawn again)')
    parser.add_argument('--min-dice', type=float, default=0.5,
                        help='with --filter-adherence: the lesion Dice a pair needs')
    parser.add_argument('--max-gate-rounds', type=int, default=10,
                        help='with --filter-adherence: draws of one pair before giving up')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace another synthesis in --out-dir, or write beside other '
                             'files')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    parser.add_argument('--no-progress', action='store_true')
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    if (args.source_masks is None) == (args.mask_config is None):
        parser.error('give either --mask-config and --mask-ckpt (new masks) or --source-masks '
                     '(masks of a dataset)')
    if args.mask_config is not None and args.mask_ckpt is None:
        parser.error('--mask-config needs --mask-ckpt')
    if args.num < 1:
        parser.error(f'--num must be a positive number of pairs, got {args.num}')
    if args.seed < 0:
        parser.error(f'--seed must be a non-negative int, got {args.seed}')
    return args


def _img_size(cfg: Config, path: str):
    size = cfg.get('img_size')
    if size is None:
        raise SystemExit(f'{path} has no img_size; pass a config built on a dataset base')
    return (size, size) if isinstance(size, int) else tuple(size)


def main(argv=None):
    args = parse_args(argv)
    with user_errors('tools/synthesize.py', args.debug):
        run(args)


def run(args) -> None:
    """Synthesize as ``args`` (see :func:`parse_args`) say."""
    if args.launcher == 'pytorch' and not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='nccl' if args.device == 'cuda' else 'gloo')
        if args.device == 'cuda':
            torch.cuda.set_device(int(os.environ.get('LOCAL_RANK', 0)))
    register_all_modules()
    check_checkpoint_file(args.image_checkpoint, 'the image checkpoint argument')
    image_cfg = Config.fromfile(args.image_config)
    generator = load_image_generator(image_cfg.model, args.image_checkpoint, args.image_config,
                                     'the image checkpoint argument').to(args.device)
    size = _img_size(image_cfg, args.image_config)
    provenance = dict(image_config=os.path.abspath(args.image_config),
                      image_checkpoint=os.path.abspath(args.image_checkpoint),
                      image_checkpoint_sha256=file_sha256(args.image_checkpoint))
    if args.source_masks is not None:
        masks = DatasetMasks(args.source_masks, args.seed, args.augment,
                             parse_colour_map(args.mask_colors) if args.mask_colors else None)
    else:
        check_checkpoint_file(args.mask_ckpt, '--mask-ckpt')
        mask_cfg = Config.fromfile(args.mask_config)
        mask_model = load_mask_generator(mask_cfg.model, args.mask_ckpt, args.mask_config,
                                         '--mask-ckpt').to(args.device)
        masks = GeneratedMasks(
            mask_model, args.seed, _img_size(mask_cfg, args.mask_config), args.max_retries,
            args.mask_num_steps,
            describe_as=dict(config=os.path.abspath(args.mask_config),
                             checkpoint=os.path.abspath(args.mask_ckpt),
                             checkpoint_sha256=file_sha256(args.mask_ckpt)))
    gate = None
    if args.filter_adherence is not None:
        seg_config, seg_ckpt = args.filter_adherence
        segmentor, seg_cfg = load_segmentor(seg_config, seg_ckpt, '--filter-adherence')
        gate = AdherenceGate(segmentor.to(args.device), args.min_dice,
                             _img_size(seg_cfg, seg_config),
                             describe_as=dict(config=os.path.abspath(seg_config),
                                              checkpoint_sha256=file_sha256(seg_ckpt)))
    settings = SynthesisSettings(num=args.num, seed=args.seed, size=size,
                                 batch_size=args.batch_size, num_steps=args.num_steps,
                                 guidance_scale=args.guidance_scale)
    summary = synthesize(args.out_dir, generator, masks, settings, provenance,
                         overwrite=args.overwrite, progress=not args.no_progress, gate=gate,
                         max_gate_rounds=args.max_gate_rounds)
    if get_dist_info()[0] == 0:
        print(f"\n{summary['written']} pairs written by this process, {summary['skipped']} "
              f"already there, {summary['total']} in {args.out_dir}")
    if args.launcher == 'pytorch':
        torch_dist.destroy_process_group()


if __name__ == '__main__':
    main()
