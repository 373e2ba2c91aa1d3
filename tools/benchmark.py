"""Run the paper's evaluation protocol end to end, resumable, and print its results table.

    python tools/benchmark.py configs/benchmark/kvasir_to_clinicdb_64.py [--work-dir DIR] \
        [--cfg-options source.data_root=... targets.0.folder=...] [--dry-run]
    torchrun --nproc_per_node 4 tools/benchmark.py PROTOCOL --launcher pytorch

Every step (stage 1, stage 2 per reference draw, synthetic sets, segmentor runs) is a named
artefact in the work dir (see ``alignflow.apis.benchmark``): an interrupted protocol resumes
where it stopped, a finished one prints its table at once. A work dir whose finished steps
were made with other settings (a changed config, default or override) is refused with the list
of them, and so is a stage-2 checkpoint the protocol gives (``alignment.checkpoints``) that was
aligned to another reference split or from another stage 1. ``--dry-run`` checks the protocol
and the work dir and lists the segmentor runs without training anything.
"""
import argparse
import os

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.apis.benchmark import (Protocol, StaleArtefactError, check_protocol,
                                      results_table, seg_runs)
from mmengine.config import Config, DictAction
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
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    if not os.path.isfile(args.protocol):
        raise SystemExit(f'benchmark: protocol {args.protocol} does not exist')
    protocol = Config.fromfile(args.protocol)
    if args.cfg_options:
        protocol.merge_from_dict(args.cfg_options)
    work_dir = args.work_dir or protocol.get('work_dir') or os.path.join(
        'work_dirs', 'benchmark', os.path.splitext(os.path.basename(args.protocol))[0])
    try:
        check_protocol(protocol)
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f'benchmark: {args.protocol}: {err}')
    steps = Protocol(protocol, work_dir, args.launcher)
    try:
        steps.check_finished_steps()
    except StaleArtefactError as err:
        raise SystemExit(f'benchmark: {args.protocol}: {work_dir}: {err}')
    try:
        steps.check_given_alignments()
    except ValueError as err:
        raise SystemExit(f'benchmark: {args.protocol}: {err}')
    if args.dry_run:
        runs = seg_runs(protocol)
        print(f'{args.protocol}: valid; {len(runs)} segmentor runs in {work_dir} (its '
              'finished steps match the protocol):')
        for run in runs:
            print(f'  {run.target} {run.segmentor} {run.arm_dir} seed {run.seed}')
        return runs
    records = steps.run()
    if get_dist_info()[0] == 0:
        print('\n' + results_table(records))
        print(f'written {work_dir}/results.csv and {work_dir}/results.md')
    return records


if __name__ == '__main__':
    main()
