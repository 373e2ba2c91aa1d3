"""Run the paper's evaluation protocol end to end, resumable, and print its results table.

    python tools/benchmark.py configs/benchmark/kvasir_to_clinicdb_64.py [--work-dir DIR] \
        [--cfg-options source.data_root=... targets.0.folder=...] [--dry-run]
    # independent steps at once: one process per step on this machine (one GPU each), or
    # one Slurm job per step
    python tools/benchmark.py PROTOCOL --executor local --max-parallel 8 --gpus 0 1 2 3 4 5 6 7
    python tools/benchmark.py PROTOCOL --executor slurm --slurm-partition gpu --timeout-min 240
    torchrun --nproc_per_node 4 tools/benchmark.py PROTOCOL --launcher pytorch

Every step (stage 1, stage 2 per reference draw, synthetic sets, segmentor runs) is a named
artefact in the work dir (see ``alignflow.protocol``): an interrupted protocol resumes where it
stopped, a finished one prints its table at once. A work dir whose finished steps were made
with other settings is refused with the list of them, and so is a stage-2 checkpoint the
protocol gives (``alignment.checkpoints``) that was aligned to another reference split or from
another stage 1. ``--dry-run`` checks the protocol and the work dir and lists the segmentor
runs without training anything.
"""
import argparse
import os

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.protocol.benchmark import (ProtocolError, default_work_dir, dry_run,
                                          load_protocol, run_protocol)
from alignflow.protocol.launch import EXECUTORS
from alignflow.protocol.report import results_table
from mmengine.config import DictAction
from mmengine.dist import get_dist_info


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('protocol', help='protocol config (configs/benchmark/*.py)')
    parser.add_argument('--work-dir', help='artefacts and results (default: the config\'s)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override protocol settings, e.g. seeds=[0]')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    parser.add_argument('--dry-run', action='store_true',
                        help='check the protocol and list its runs, train nothing')
    parser.add_argument('--executor', choices=EXECUTORS,
                        help='run independent steps at once as submitit jobs (default: one '
                        'after another in this process)')
    parser.add_argument('--max-parallel', type=int, default=4,
                        help='with --executor: jobs that run at once')
    parser.add_argument('--gpus', type=int, nargs='+',
                        help='with --executor local: the GPUs to spread jobs over, one each')
    parser.add_argument('--timeout-min', type=int, default=24 * 60,
                        help='with --executor: the time limit of one step')
    parser.add_argument('--slurm-partition', help='with --executor slurm')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.gpus and args.executor != 'local':
        parser.error('--gpus spreads the jobs of --executor local over GPUs; add it')
    if args.slurm_partition and args.executor != 'slurm':
        parser.error('--slurm-partition needs --executor slurm')
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        protocol = load_protocol(args.protocol, args.cfg_options)
        work_dir = args.work_dir or default_work_dir(args.protocol, protocol)
        if args.dry_run:
            return dry_run(protocol, work_dir)
        parameters = dict(timeout_min=args.timeout_min)
        if args.slurm_partition:
            parameters['slurm_partition'] = args.slurm_partition
        records = run_protocol(protocol, work_dir, args.launcher, args.executor,
                               args.max_parallel, args.gpus, parameters)
    except ProtocolError as err:
        raise SystemExit(f'benchmark: {err}')
    if get_dist_info()[0] == 0:
        print('\n' + results_table(records))
        print(f'written {work_dir}/results.csv and {work_dir}/results.md')
    return records


if __name__ == '__main__':
    main()
