"""Evaluate a checkpoint on the test set of its config; optionally save what it generates."""
import argparse
import os

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.apis.testing import build_test_runner
from alignflow.utils.cli import add_debug_argument, user_errors
from mmengine.config import DictAction


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and sample from) an AlignFlow model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out', help='write generated pairs here (images/ + masks/ layout)')
    parser.add_argument('--overwrite', action='store_true',
                        help='let --out write into a folder that holds other files, or replace '
                             'the pairs of another run there')
    parser.add_argument('--num-steps', type=int, help='ODE solver steps for sampling')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. test_dataloader.batch_size=4')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_debug_argument(parser)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    with user_errors('tools/test.py', args.debug):
        build_test_runner(args.config, args.checkpoint, args.cfg_options, args.work_dir,
                          args.launcher, args.out, args.overwrite, args.num_steps,
                          checkpoint_source='the checkpoint argument of tools/test.py').test()


if __name__ == '__main__':
    main()
