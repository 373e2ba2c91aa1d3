"""Compare generated masks with training masks: foreground fraction and component counts,
diversity (mean pairwise IoU), novelty (IoU with the nearest training mask: copies?), and the
share that post-processing rejected and the adherence gate dropped (from the synthesis
manifest). Prints a table; writes ``report.md``, ``report.json`` and ``report.png``
(histograms and samples) into ``--out``.

    python tools/analysis/mask_report.py GENERATED TRAINING --out work_dirs/mask_report
"""
import argparse
import json
from pathlib import Path

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.masks.report import (dropped_shares, format_report, mask_report, read_masks,
                                    save_report_figure)
from alignflow.utils.atomic_io import write_text_atomic
from alignflow.utils.cli import add_debug_argument, user_errors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('generated', help='generated masks (a synthesis folder or masks/)')
    parser.add_argument('training', help='training masks (a dataset folder or masks/)')
    parser.add_argument('--out', required=True, help='folder for the report')
    parser.add_argument('--size', type=int, default=64, help='side masks are compared at')
    parser.add_argument('--copy-iou', type=float, default=0.9)
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    with user_errors('mask_report', args.debug):
        return report_masks(args)


def report_masks(args) -> dict:
    """The report of ``args`` (see :func:`main`), printed and written to ``--out``."""
    out = Path(args.out).resolve()
    for folder in (args.generated, args.training):
        if out == Path(folder).resolve() or Path(folder).resolve() in out.parents:
            raise ValueError(f'--out {args.out} lies in {folder}, which this tool only reads; '
                             f'write the report elsewhere')
    generated = read_masks(args.generated, 'generated')
    training = read_masks(args.training, 'training')
    report = mask_report(generated, training, (args.size, args.size), args.copy_iou)
    report['generated'].update(dropped_shares(Path(args.generated) / 'manifest.jsonl'))
    table = format_report(report)
    print(table)
    for name, text in (('report.md', table + '\n'), ('report.json', json.dumps(report, indent=1))):
        write_text_atomic(text, out / name)
    save_report_figure(generated, training, out / 'report.png')
    print(f'written {out}/report.md, report.json, report.png')
    return report


if __name__ == '__main__':
    main()
