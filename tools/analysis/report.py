"""Write the report page of a protocol work dir (tools/demo.py, tools/benchmark.py).

    python tools/analysis/report.py WORK_DIR [--protocol CONFIG] [--check]

Writes WORK_DIR/report/report.html (one self-contained file: images embedded, no network) and
report.md with images/ beside it: sample grids, the results table, the alignment run's and the
segmentors' curves, the time per step and the commands that make each step again. The
protocol is the copy a run keeps in WORK_DIR/protocol.json; give --protocol for a work dir made
before runs kept one. --check renders the page in headless Chromium (every image decodes,
nothing overflows the page width, the screenshot is not blank; screenshots in
WORK_DIR/report/check/).
"""
import argparse
import sys
from pathlib import Path

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.protocol.benchmark import load_protocol
from alignflow.protocol.page_check import check_page
from alignflow.protocol.report_page import write_report
from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dir', help='a protocol work dir (holds results.csv)')
    parser.add_argument('--protocol', help='its protocol config, where it keeps no '
                        'protocol.json')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='with --protocol: the overrides it was run with')
    parser.add_argument('--check', action='store_true',
                        help='render the page in headless Chromium and check it')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    protocol = load_protocol(args.protocol, args.cfg_options) if args.protocol else None
    try:
        report = write_report(args.work_dir, protocol)
    except FileNotFoundError as err:
        raise SystemExit(f'report: {err}')
    if args.check:
        problems = check_page(str(report / 'report.html'), str(report / 'check'))
        for problem in problems:
            print(f'report check: {problem}', file=sys.stderr)
        if problems:
            raise SystemExit(1)
        print(f'report check: every image decodes, nothing overflows; screenshots in '
              f'{Path(report) / "check"}')


if __name__ == '__main__':
    main()
