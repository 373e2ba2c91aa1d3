"""Train an AlignFlow model from a config (as mmseg's tools/train.py)."""
import argparse
import logging
import os

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.apis import build_runner, load_config
from alignflow.utils.cli import add_debug_argument, user_errors
from alignflow.utils.checkpoint import check_checkpoint_file, check_resumable
from mmengine.config import Config, DictAction
from mmengine.logging import print_log


def parse_args():
    parser = argparse.ArgumentParser(description='Train an AlignFlow model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the latest checkpoint in the work dir, or from the given checkpoint')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: bf16 autocast on CPU, fp16 on CUDA')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. train_cfg.max_iters=100')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_debug_argument(parser)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_config(args) -> Config:
    cfg = load_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper in ('AutoAmpOptimWrapper', 'AmpOptimWrapper'):
            print_log('AMP is already enabled in the config.', logger='current',
                      level=logging.WARNING)
        else:
            assert optim_wrapper == 'OptimWrapper', (
                f'`--amp` only wraps OptimWrapper, the config uses {optim_wrapper}')
            cfg.optim_wrapper.type = 'AutoAmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        check_checkpoint_file(args.resume, '--resume')
        check_resumable(args.resume, '--resume')
        cfg.resume, cfg.load_from = True, args.resume
    elif cfg.get('load_from'):
        check_checkpoint_file(cfg.load_from, 'load_from')
    return cfg


def main():
    args = parse_args()
    with user_errors('tools/train.py', args.debug):
        build_runner(build_config(args)).train()


if __name__ == '__main__':
    main()
