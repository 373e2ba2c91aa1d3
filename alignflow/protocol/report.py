"""The protocol's results: one CSV row per segmentor run, and a Markdown table of mean ± spread
per target, segmentor and arm."""
import csv
import io
from typing import Dict, List, Optional, Sequence

import numpy as np

TABLE_METRICS = (('mDice', 'mDice'), ('mIoU', 'mIoU'),
                 ('lesion/dice_per_image', 'lesion Dice (per image)'),
                 ('lesion/iou_per_image', 'lesion IoU (per image)'))
SYNTHESIS_METRICS = (('kid', 'kd_'), ('mmd', 'mmd'), ('c2st_target_share', 'c2st_target_share'),
                     ('real_vs_generated_accuracy', 'real_vs_generated_accuracy'))


def results_csv(records: Sequence[dict]) -> str:
    """One row per segmentor run, every metric it recorded as a column."""
    columns = ['target', 'segmentor', 'arm', 'draw', 'seed']
    columns += sorted({k for r in records for k in r} - set(columns) -
                      {'checkpoint', 'fingerprint'})
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction='ignore', lineterminator='\n')
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


def _mean_std(values: Sequence[float], scale: float = 1.0, digits: int = 2) -> str:
    values = [v * scale for v in values if v is not None and not np.isnan(v)]
    if not values:
        return '–'
    if len(values) == 1:
        return f'{values[0]:.{digits}f}'
    return f'{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}'


def _synthesis_value(record: dict, inception_name: str, prefix: str) -> Optional[float]:
    """A synthesis distance under its feature space's name: ``kid`` in the FID Inception,
    ``kd_<space>`` elsewhere (see ``metric_names``); None for the real-only arm."""
    for key, value in record.items():
        name = key[len('synthesis/'):]
        if key.startswith('synthesis/') and (name == inception_name or (
                name.startswith(prefix) and not name.endswith(('_std', '_subset_size')))):
            return value
    return None


SUMMARY_COLUMNS = ('target', 'segmentor', 'arm', 'runs',
                   *(name for _, name in TABLE_METRICS),
                   'KID of the synthesis', 'MMD', 'which domain: called target (%)',
                   'real vs generated: accuracy (%)')


def summary_rows(records: Sequence[dict]) -> List[List[str]]:
    """Per target, segmentor and arm, the cells of :data:`SUMMARY_COLUMNS`: mean ± sample
    std over its runs (segmentor seeds, with reference draws for the aligned arms) of the test
    metrics (in %, on the target's held-out images) and the synthetic set's distances to
    them."""
    groups: Dict[tuple, List[dict]] = {}
    for record in records:
        groups.setdefault((record['target'], record['segmentor'], record['arm']),
                          []).append(record)
    rows = []
    for (target, segmentor, arm), runs in groups.items():
        cells = [target, segmentor, arm, str(len(runs))]
        for key, _ in TABLE_METRICS:
            # mmseg reports mDice/mIoU in %, PerImageLesionMetric in [0, 1].
            scale = 1.0 if key in ('mDice', 'mIoU') else 100.0
            cells.append(_mean_std([r.get(key) for r in runs], scale))
        for inception_name, prefix in SYNTHESIS_METRICS:
            values = [_synthesis_value(r, inception_name, prefix) for r in runs]
            in_percent = prefix.startswith(('c2st', 'real_vs_generated'))
            cells.append(_mean_std(values, 100.0, 1) if in_percent else
                         _mean_std(values, 1.0, 4))
        rows.append(cells)
    return rows


def results_table(records: Sequence[dict]) -> str:
    """Markdown of :func:`summary_rows`."""
    lines = ['| ' + ' | '.join(SUMMARY_COLUMNS) + ' |', '|' + '---|' * len(SUMMARY_COLUMNS)]
    lines += ['| ' + ' | '.join(row) + ' |' for row in summary_rows(records)]
    return '\n'.join(lines) + '\n'
