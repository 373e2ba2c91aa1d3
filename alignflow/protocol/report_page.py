"""The report of a protocol work dir, a page a person looks at: ``report/report.html`` (one
self-contained file, images embedded as base64 PNG, no network) and ``report/report.md`` (the
same text, images beside it in ``report/images/``).

What it shows, per target and its first reference draw: sample grids side by side (real source
and target images, the references, stage-1 and aligned synthesis on the same masks and noise,
the aligned generator on generated masks, the mask generator's samples before and after
post-processing); the results table; plots of the alignment run and of the segmentors'
validation curves (from the runs' ``scalars.json``); the time of each step; and the commands
that make each step again.
"""
import base64
import csv
import html
import io
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import cv2
import numpy as np
from mmengine.config import Config

from alignflow.datasets.mask_io import read_mask
from alignflow.datasets.references import list_images
from alignflow.masks import resize_mask
from alignflow.utils.atomic_io import write_text_atomic
from .report import SUMMARY_COLUMNS, summary_rows
from .spec import seg_runs
from .steps import PROTOCOL_COPY, Protocol

REPORT = 'report'
GRID_IMAGES = 8
COLUMN_MEANING = {
    'mDice': 'mDice (%): Dice of lesion and background, pixels pooled over the held-out '
             'target images',
    'mIoU': 'mIoU (%): the same as IoU',
    'lesion Dice (per image)': 'lesion Dice per image (%): the lesion\'s Dice on each '
                               'held-out target image, averaged over images (the polyp '
                               'literature\'s figure)',
    'lesion IoU (per image)': 'lesion IoU per image (%)',
    'KID of the synthesis': 'KID of the synthetic images to the held-out target images '
                            '(random-CNN features unless the protocol names another space; '
                            'lower is closer)',
    'MMD': 'MMD of the same features (lower is closer)',
    'which domain: called target (%)': 'which domain: the share of synthetic images that '
                                       'classifiers trained on real source against real '
                                       'target images call target (real target images score '
                                       'near 100; colour statistics alone can earn it)',
    'real vs generated: accuracy (%)': 'real vs generated: the held-out accuracy of '
                                       'classifiers trained to tell the synthetic images from '
                                       'the held-out target images (50: indistinguishable; '
                                       'artifacts raise it)',
}


@dataclass
class Figure:
    """One image of the page: a PNG, its caption, and a name for the Markdown copy."""
    name: str
    caption: str
    png: bytes


@dataclass
class Page:
    title: str
    sections: List[tuple] = field(default_factory=list)  # (heading, [html or Figure, ...])


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an (H, W, 3) RGB or (H, W) uint8 image (OpenCV writes BGR)."""
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode('.png', image)
    if not ok:
        raise ValueError('could not encode a report image as PNG')
    return data.tobytes()


def read_rgb(path: Path, size: Optional[int] = None) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f'report: cannot read image {path}')
    if size is not None and image.shape[:2] != (size, size):
        image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def mask_tile(path: Path, size: int) -> np.ndarray:
    """A binary mask (read with the datasets' rules) as a (size, size, 3) white-on-black tile."""
    label = resize_mask(read_mask(path), (size, size))
    return np.repeat((label * 255).astype(np.uint8)[..., None], 3, axis=2)


def strip(images: Sequence[np.ndarray], scale: int = 3, gap: int = 2) -> np.ndarray:
    """``images`` (H, W, 3) side by side on white, each enlarged ``scale`` times (nearest, so
    the pixels a 32-px generator paints stay visible)."""
    tiles = [cv2.resize(im, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
             for im in images]
    height = max(t.shape[0] for t in tiles)
    width = sum(t.shape[1] for t in tiles) + gap * (len(tiles) - 1)
    out = np.full((height, width, 3), 255, np.uint8)
    left = 0
    for tile in tiles:
        out[:tile.shape[0], left:left + tile.shape[1]] = tile
        left += tile.shape[1] + gap
    return out


def read_scalars(step_dir: Path) -> List[dict]:
    """Every line mmengine's ``LocalVisBackend`` logged for a run (each ``<timestamp>/
    vis_data/scalars.json`` under ``step_dir``, in time order: a resumed run has several)."""
    lines = []
    for path in sorted(step_dir.glob('*/vis_data/scalars.json')):
        lines += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return lines


def last_sample_grid(step_dir: Path) -> Optional[Path]:
    """The last grid ``SampleGridHook`` wrote for a run, None when it wrote none."""
    grids = list(step_dir.glob('*/vis_data/vis_image/samples_*.png'))
    return max(grids, key=lambda p: (int(p.stem.rsplit('_', 1)[1]), str(p))) if grids else None


def plot_png(panels: Sequence[tuple], title: str) -> Optional[bytes]:
    """A row of line plots, PNG (matplotlib, headless). ``panels``: (y label,
    {line label: (x, y)}); panels without a point are left out, None when none is left."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot as plt
    panels = [(label, lines) for label, lines in panels
              if any(len(x) for x, _ in lines.values())]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.2), squeeze=False)
    for ax, (label, lines) in zip(axes[0], panels):
        for name, (x, y) in lines.items():
            ax.plot(x, y, marker='o' if len(x) < 12 else None, markersize=3, label=name)
        ax.set_xlabel('iteration')
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if len(lines) > 1:
            ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format='png', dpi=90)
    plt.close(fig)
    return out.getvalue()


def series(lines: Sequence[dict], key: str) -> tuple:
    """(steps, values) of ``key`` in logged scalar lines."""
    points = [(line['step'], line[key]) for line in lines if key in line and 'step' in line]
    return [p[0] for p in points], [p[1] for p in points]


def first_key(lines: Sequence[dict], *candidates: str) -> Optional[str]:
    """The first of ``candidates`` that some line logged, under any prefix (``gen/``); a
    candidate ending in ``_`` matches any name it starts, e.g. ``kd_`` for ``kd_randomconv``."""
    keys = {k for line in lines for k in line}
    for candidate in candidates:
        hits = sorted(k for k in keys if k.split('/')[-1] == candidate or (
            candidate.endswith('_') and k.split('/')[-1].startswith(candidate) and
            not k.endswith(('_std', '_subset_size'))))
        if hits:
            return hits[0]
    return None


class ProtocolReport:
    """Collects a protocol work dir into a :class:`Page`.

    Args:
        work_dir: the protocol's work dir.
        protocol: its config; None reads the copy a run keeps (``<work_dir>/protocol.json``).
    """

    def __init__(self, work_dir: str, protocol: Optional[Config] = None):
        self.work_dir = Path(work_dir)
        if protocol is None:
            copy = self.work_dir / PROTOCOL_COPY
            if not copy.is_file():
                raise FileNotFoundError(
                    f'{work_dir} holds no {PROTOCOL_COPY} (a protocol run keeps one since the '
                    f'report exists): give the protocol config, e.g. tools/analysis/report.py '
                    f'{work_dir} --protocol configs/benchmark/<name>.py')
            kept = json.loads(copy.read_text())
            protocol = Config(kept['protocol'], filename=kept['filename'])
        self.protocol = protocol
        self.steps = Protocol(protocol, str(work_dir), log=lambda line: None)
        self.records = self._records()

    def _records(self) -> List[dict]:
        path = self.work_dir / 'results.csv'
        if not path.is_file():
            raise FileNotFoundError(f'{path} does not exist: run the protocol first '
                                    '(tools/benchmark.py or tools/demo.py)')
        with open(path) as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            for key, value in row.items():
                try:
                    row[key] = float(value) if value not in ('', None) else None
                except ValueError:
                    pass
        return rows

    # -- pieces ----------------------------------------------------------------------------
    def _size(self) -> int:
        return int(Config.fromfile(self.protocol.stage1.config).get('img_size', 64))

    def _heldout(self, target: Config) -> List[Path]:
        stems = set(self.steps._heldout_path(target).read_text().split())
        return [p for p in list_images(target.folder, 'target folder', 'the report')
                if p.stem in stems]

    def _synthetic(self, arm: str, target: Config, draw: Optional[int]) -> Optional[Path]:
        folder = self.steps._synthetic_dir(arm, target, draw)
        return folder if self.steps.store.done(folder) is not None else None

    def grids(self, target: Config) -> List:
        """Sample grids of ``target`` and its first draw."""
        size, n = self._size(), GRID_IMAGES
        draw = (target.get('draws') or [None])[0]
        source = list_images(self.protocol.source.data_root, 'source folder', 'the report')
        rows = [('Real source images (what stage 1 learns)',
                 [read_rgb(p, size) for p in source[:n]]),
                (f'Real target images (held out: never a reference) of {target.name}',
                 [read_rgb(p, size) for p in self._heldout(target)[:n]])]
        split = (self.steps._align_dir(target, draw) / 'reference_split.json'
                 if draw is not None else None)
        if split is not None and split.is_file():
            refs = json.loads(split.read_text())['references']
            rows.append((f'The {len(refs)} target references stage 2 aligns to (draw {draw})',
                         [read_rgb(Path(p), size) for p in refs]))
        stage1 = self._synthetic('stage1', None, None)
        aligned = self._synthetic('aligned', target, draw) if draw is not None else None
        if stage1 is not None:
            stems = [p.stem for p in sorted((stage1 / 'images').glob('*.png'))[:n]]
            rows.append(('Source masks the synthesis paints (random flips and turns)',
                         [mask_tile(stage1 / 'masks' / f'{s}.png', size) for s in stems]))
            rows.append(('Stage-1 synthesis (the source look)',
                         [read_rgb(stage1 / 'images' / f'{s}.png') for s in stems]))
            if aligned is not None:
                rows.append(('Aligned synthesis: the same masks and the same noise, after '
                             'stage 2', [read_rgb(aligned / 'images' / f'{s}.png')
                                         for s in stems]))
        generated = (self._synthetic('aligned_generated_masks', target, draw)
                     if draw is not None else None)
        if generated is not None:
            stems = [p.stem for p in sorted((generated / 'images').glob('*.png'))[:n]]
            rows.append(('Generated masks (mask generator, post-processed)',
                         [mask_tile(generated / 'masks' / f'{s}.png', size) for s in stems]))
            rows.append(('Aligned synthesis on the generated masks',
                         [read_rgb(generated / 'images' / f'{s}.png') for s in stems]))
        items = [Figure(f'{target.name}_grid{i}', caption, encode_png(strip(images)))
                 for i, (caption, images) in enumerate(rows)]
        if draw is not None:
            items += self._alignment_grids(target, draw, size)
        masks = last_sample_grid(self.work_dir / 'mask_generator')
        if masks is not None:
            items.append(Figure(
                'mask_generator_samples', 'The mask generator\'s last sample grid: rows are '
                'the sampled maps before post-processing, the same after it (binarise, '
                'morphology, fill holes, drop specks, bound area and components; an empty '
                'mask is one the chain rejects), and real source masks',
                encode_png(strip([read_rgb(masks)], scale=2))))
        return items

    def _alignment_grids(self, target: Config, draw: int, size: int) -> List[Figure]:
        """The alignment run's first and last sample grids (``SampleGridHook``): the look as
        it moves."""
        grids = sorted(self.steps._align_dir(target, draw).glob(
            '*/vis_data/vis_image/samples_*.png'), key=lambda p: int(p.stem.rsplit('_', 1)[1]))
        items = []
        for path in dict.fromkeys([grids[0], grids[-1]] if grids else []):
            image = read_rgb(path)
            rows = (image.shape[0] - 2) // (size + 2)
            what = ('masks, stage 1, the aligned model on the same masks and noise, real '
                    'source images, the references' if rows == 5 else
                    'masks, the aligned model, real source images')
            iteration = path.stem.rsplit('_', 1)[1]
            items.append(Figure(f'{target.name}_alignment_grid_{iteration}',
                                f'Stage 2\'s own sample grid after {iteration} iterations '
                                f'(rows: {what})', encode_png(strip([image], scale=2))))
        return items

    def alignment_plot(self, target: Config) -> Optional[Figure]:
        draw = (target.get('draws') or [None])[0]
        if draw is None:
            return None
        lines = read_scalars(self.steps._align_dir(target, draw))
        reward = first_key(lines, 'loss_reward')
        distance = first_key(lines, 'kd_', 'kid', 'mmd')
        c2st = first_key(lines, 'c2st_target_share')
        c2st_series = series(lines, c2st) if c2st else ([], [])
        name = distance.split('/')[-1] if distance else 'distance'
        panels = [('reward (MMD to the references)',
                   {'loss_reward': series(lines, reward)} if reward else {}),
                  (f'{name} to held-out target',
                   {name: series(lines, distance)} if distance else {}),
                  ('which domain: called target (%)',
                   {'c2st': (c2st_series[0], [100 * v for v in c2st_series[1]])}
                   if c2st else {})]
        png = plot_png(panels, f'Stage 2 on {target.name}, draw {draw} (iteration 0: stage 1)')
        return png and Figure(f'{target.name}_alignment', 'The alignment run: the reward it '
                              'lowers on each batch, and on the held-out target images the '
                              'distance and the share called target at each validation', png)

    def segmentor_plot(self, target: Config, segmentor: str) -> Optional[Figure]:
        runs = [r for r in seg_runs(self.protocol)
                if r.target == target.name and r.segmentor == segmentor]
        panels = []
        for key, label in (('mDice', 'mDice (%)'),
                           ('lesion/dice_per_image', 'lesion Dice per image (%)')):
            curves = {}
            for run in runs:
                lines = read_scalars(self.steps._segment_dir(run))
                x, y = series(lines, key)
                scale = 100.0 if key.startswith('lesion/') else 1.0
                curves[f'{run.arm_dir} s{run.seed}'] = (x, [scale * v for v in y])
            panels.append((label, curves))
        png = plot_png(panels, f'{segmentor} on the held-out {target.name} images')
        return png and Figure(f'{target.name}_{segmentor}_validation',
                              'The segmentors\' validation curves on the held-out target '
                              'images (the test images; no checkpoint is chosen by them)',
                              png)

    def table_html(self) -> str:
        head = ''.join(f'<th title="{html.escape(COLUMN_MEANING.get(c, c))}">{html.escape(c)}'
                       '</th>' for c in SUMMARY_COLUMNS)
        body = ''.join('<tr>' + ''.join(f'<td>{html.escape(c)}</td>' for c in row) + '</tr>'
                       for row in summary_rows(self.records))
        notes = ''.join(f'<li>{html.escape(text)}</li>' for text in COLUMN_MEANING.values())
        return (f'<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
                f'<p>Mean ± sample standard deviation over the runs of each arm (segmentor '
                f'seeds, with reference draws for the aligned arms).</p><ul>{notes}</ul>')

    def timing_rows(self) -> List[List[str]]:
        path = self.work_dir / 'timing.json'
        if not path.is_file():
            return []
        timing = json.loads(path.read_text())
        total = sum(t['seconds'] for t in timing.values())
        rows = [[name, f'{t["seconds"]:.1f}', str(t['units']),
                 f'{100 * t["seconds"] / total:.1f}'] for name, t in timing.items()]
        return rows + [['all steps', f'{total:.1f}', '', '100.0']]

    def commands(self) -> List[str]:
        """The commands that make each step again: the whole protocol (on these folders or on
        your own), then each training with the resolved config it ran, and each synthesis."""
        name = self.protocol.filename or 'PROTOCOL.py'
        lines = ['# the whole protocol, every step below cached in one work dir',
                 f'python tools/benchmark.py {name} --work-dir {self.work_dir}',
                 '# the same on your own data (source pairs in images/ + masks/, target '
                 'images)',
                 f'python tools/benchmark.py {name} --work-dir work_dirs/my_protocol '
                 '--cfg-options source.data_root=/data/SOURCE targets.0.folder=/data/TARGET',
                 '# the paper\'s protocol on real polyps (Kvasir-SEG -> CVC-ClinicDB, 64 px)',
                 'python tools/benchmark.py configs/benchmark/kvasir_to_clinicdb_64.py '
                 '--cfg-options source.data_root=data/Kvasir-SEG '
                 'targets.0.folder=data/CVC-ClinicDB',
                 '# each training alone, from the resolved config the protocol ran (data '
                 'folders inside it)']
        for step in ['stage1', 'mask_generator'] + [
                str(self.steps._align_dir(t, d).relative_to(self.work_dir))
                for t in self.protocol.targets for d in t.get('draws') or []]:
            resolved = sorted((self.work_dir / step).glob('*.py'))
            if resolved:
                lines.append(f'python tools/train.py {resolved[0]} '
                             f'--work-dir {self.work_dir / step}')
        for folder in sorted(self.work_dir.rglob('synthesis.json')):
            lines.append(self._synthesis_command(folder.parent))
        runs = seg_runs(self.protocol)
        if runs:
            example = self.steps._segment_dir(runs[-1])
            resolved = sorted(example.glob('*.py'))
            if resolved:
                lines.append(f'# a segmentor run ({len(runs)} in all, one folder each)')
                lines.append(f'python tools/train.py {resolved[0]} --work-dir {example}')
        return lines

    def _synthesis_command(self, folder: Path) -> str:
        record = json.loads((folder / 'synthesis.json').read_text())
        masks = record.get('mask_source', {})
        if masks.get('kind') == 'generated':
            mask_args = (f'--mask-config {masks.get("config")} '
                         f'--mask-ckpt {masks.get("checkpoint")}')
        else:
            mask_args = f'--source-masks {self.protocol.source.data_root}' + (
                ' --augment' if masks.get('augment') else '')
        synthesis = self.protocol.get('synthesis', {})
        steps = synthesis.get('num_steps')
        return (f'python tools/synthesize.py {record.get("image_config")} '
                f'{record.get("image_checkpoint")} --num {record.get("num", "N")} '
                f'--out-dir {folder} {mask_args} --seed {record.get("seed", 0)} '
                f'--batch-size {synthesis.get("batch_size", 32)}'
                + (f' --num-steps {steps}' if steps else ''))

    # -- the page --------------------------------------------------------------------------
    def page(self) -> Page:
        page = Page(f'AlignFlow report: {Path(self.protocol.filename or "protocol").name}')
        intro = (f'<p>Work dir <code>{html.escape(str(self.work_dir))}</code>, written '
                 f'{time.strftime("%Y-%m-%d %H:%M")}. Stage 1 learns to paint source images '
                 f'for masks; stage 2 aligns it to a few target references; a mask generator '
                 f'draws new masks; segmentors train on real source pairs alone, with stage-1 '
                 f'synthesis, and with aligned synthesis, and are tested on held-out target '
                 f'images.</p>')
        page.sections.append(('', [intro]))
        for target in self.protocol.targets:
            page.sections.append((f'Samples: {target.name}', self.grids(target)))
        page.sections.append(('Results', [self.table_html()]))
        plots = []
        for target in self.protocol.targets:
            plots.append(self.alignment_plot(target))
            plots += [self.segmentor_plot(target, s.name) for s in self.protocol.segmentors]
        page.sections.append(('Training curves', [p for p in plots if p is not None]))
        timing = self.timing_rows()
        if timing:
            page.sections.append(('Time per step', [_html_table(
                ['step', 'seconds', 'units', '% of all'], timing)]))
        page.sections.append(('Commands', ['<pre>' + html.escape('\n'.join(self.commands()))
                                           + '</pre>']))
        return page

    def markdown(self, page: Page) -> str:
        lines = [f'# {page.title}', '']
        for heading, items in page.sections:
            if heading:
                lines += [f'## {heading}', '']
            for item in items:
                if isinstance(item, Figure):
                    lines += [f'**{item.caption}**', '', f'![{item.caption}](images/'
                              f'{item.name}.png)', '']
            if heading == 'Results':
                lines += ['| ' + ' | '.join(SUMMARY_COLUMNS) + ' |',
                          '|' + '---|' * len(SUMMARY_COLUMNS)]
                lines += ['| ' + ' | '.join(r) + ' |' for r in summary_rows(self.records)]
                lines += [''] + [f'- {text}' for text in COLUMN_MEANING.values()] + ['']
            elif heading == 'Time per step':
                lines += ['| step | seconds | units | % of all |', '|---|---|---|---|']
                lines += ['| ' + ' | '.join(r) + ' |' for r in self.timing_rows()] + ['']
            elif heading == 'Commands':
                lines += ['```bash', *self.commands(), '```', '']
        return '\n'.join(lines)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px;
       padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
figure { margin: 0.8em 0; max-width: 100%; }
figure img { max-width: 100%; height: auto; image-rendering: pixelated; display: block; }
figcaption { font-size: 0.9em; color: #444; margin-bottom: 0.3em; }
table { border-collapse: collapse; font-size: 0.85em; display: block; overflow-x: auto;
        max-width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; }
td { white-space: nowrap; }
th { background: #f3f3f3; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; white-space: pre-wrap;
      word-break: break-all; font-size: 0.8em; }
"""


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = ''.join(f'<th>{html.escape(c)}</th>' for c in header)
    body = ''.join('<tr>' + ''.join(f'<td>{html.escape(c)}</td>' for c in row) + '</tr>'
                   for row in rows)
    return f'<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render_html(page: Page) -> str:
    """One self-contained HTML file: the figures as ``data:`` URIs, the style inline."""
    parts = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f'<title>{html.escape(page.title)}</title><style>{STYLE}</style></head><body>',
             f'<h1>{html.escape(page.title)}</h1>']
    for heading, items in page.sections:
        if heading:
            parts.append(f'<h2>{html.escape(heading)}</h2>')
        for item in items:
            if isinstance(item, Figure):
                data = base64.b64encode(item.png).decode()
                parts.append(f'<figure><figcaption>{html.escape(item.caption)}</figcaption>'
                             f'<img alt="{html.escape(item.caption)}" '
                             f'src="data:image/png;base64,{data}"></figure>')
            else:
                parts.append(item)
    parts.append('</body></html>')
    return '\n'.join(parts)


def write_report(work_dir: str, protocol: Optional[Config] = None,
                 log: Callable[[str], None] = print) -> Path:
    """Write ``<work_dir>/report/report.html``, ``report.md`` and ``images/``; returns the
    report folder."""
    report = ProtocolReport(work_dir, protocol)
    page = report.page()
    out = Path(work_dir) / REPORT
    (out / 'images').mkdir(parents=True, exist_ok=True)
    for _, items in page.sections:
        for item in items:
            if isinstance(item, Figure):
                (out / 'images' / f'{item.name}.png').write_bytes(item.png)
    write_text_atomic(report.markdown(page), out / 'report.md')
    write_text_atomic(render_html(page), out / 'report.html')
    log(f'[report] {out / "report.html"}')
    return out


def figures_of(page_html: str) -> Dict[str, bytes]:
    """The PNG bytes of every ``<img>`` of a report page, by its alt text (a test's and the
    browser check's reading of it)."""
    found = {}
    for alt, data in re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)"',
                                page_html):
        found[html.unescape(alt)] = base64.b64decode(data)
    return found
