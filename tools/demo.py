"""The whole method in one command, on the built-in toy domains: no download, no data of yours.

    python tools/demo.py [--work-dir work_dirs/demo] [--quick]

Writes a toy source and target domain into the work dir, then runs the protocol
configs/benchmark/demo.py on them (the code tools/benchmark.py runs): stage 1, stage 2 on 5
target references, the mask generator, synthesis on source and on generated masks, and a small
segmentor trained on real pairs only, + stage-1 synthesis and + aligned synthesis, two seeds
each. Every step is cached in the work dir (an interrupted demo continues; a finished one
recomputes nothing), and the report lands in <work dir>/report/report.html and report.md.
``--quick`` runs configs/benchmark/demo_quick.py, a smoke run of a minute or two.
"""
import argparse

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.protocol.benchmark import ProtocolError
from alignflow.protocol.demo import run_demo
from mmengine.config import DictAction

CONFIGS = dict(full='configs/benchmark/demo.py', quick='configs/benchmark/demo_quick.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', help='artefacts and report (default: work_dirs/demo, '
                        'work_dirs/demo_quick with --quick)')
    parser.add_argument('--quick', action='store_true',
                        help='tiny schedules: a smoke run of a minute or two')
    parser.add_argument('--config', help='another demo protocol config')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override protocol settings, e.g. seeds=[0]')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    config = args.config or CONFIGS['quick' if args.quick else 'full']
    try:
        return run_demo(config, args.work_dir, args.cfg_options)
    except ProtocolError as err:
        raise SystemExit(f'demo: {err}')


if __name__ == '__main__':
    main()
