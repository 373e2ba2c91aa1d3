"""A report on generated masks against the training masks: are they alike, varied, new?"""
import io
import json
from pathlib import Path
from typing import Dict, List, Sequence

import cv2
import numpy as np

from alignflow.datasets.image_mask import IMG_EXTENSIONS
from alignflow.datasets.mask_io import check_mask_files, read_mask
from alignflow.utils.atomic_io import write_bytes_atomic
from .statistics import (component_count, flatten_masks, foreground_fraction,
                         mean_pairwise_iou, nearest_iou)


def read_masks(folder: str, what: str) -> List[np.ndarray]:
    """Binary masks (H, W) {0, 1} of ``folder`` (or ``folder/masks``), sorted by name, read
    with the datasets' rules (:func:`~alignflow.datasets.mask_io.read_mask`); one error lists
    every mask they refuse."""
    root = Path(folder)
    root = root / 'masks' if (root / 'masks').is_dir() else root
    if not root.is_dir():
        raise FileNotFoundError(f'{what} folder {folder} does not exist')
    paths = sorted(p for p in root.iterdir() if p.suffix.lower() in IMG_EXTENSIONS)
    if not paths:
        raise FileNotFoundError(f'{what} folder {root} holds no masks')
    check_mask_files(paths, f'{what} masks in {root}')
    return [read_mask(path) for path in paths]


def dropped_shares(manifest: Path) -> Dict[str, float]:
    """From a synthesis manifest: ``rejected``, the share of mask draws post-processing
    refused, and ``adherence_dropped``, the share of painted pairs the adherence gate
    dropped (each only when the manifest records it)."""
    if not manifest.is_file():
        return {}
    records = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    shares = {}
    attempts = [r['mask_attempts'] for r in records if 'mask_attempts' in r]
    if attempts:
        shares['rejected'] = 1 - len(attempts) / sum(attempts)
    dropped = [r['adherence_dropped'] for r in records if 'adherence_dropped' in r]
    if dropped:
        shares['adherence_dropped'] = sum(dropped) / (len(dropped) + sum(dropped))
    return shares


def mask_report(generated: Sequence[np.ndarray], training: Sequence[np.ndarray],
                size=(64, 64), copy_iou: float = 0.9) -> Dict[str, Dict[str, float]]:
    """Per set (``generated``, ``training``): count, foreground fraction and component
    count (mean, std), diversity (1 - mean pairwise IoU); for the generated set also novelty
    (mean IoU with the nearest training mask) and the share of near-copies (IoU > copy_iou)."""
    flat_gen, flat_train = flatten_masks(generated, size), flatten_masks(training, size)
    report = {}
    for name, masks, flat in (('generated', generated, flat_gen),
                              ('training', training, flat_train)):
        fractions = [foreground_fraction(m) for m in masks]
        components = [component_count(m) for m in masks]
        report[name] = dict(count=len(masks), fg_fraction=float(np.mean(fractions)),
                            fg_fraction_std=float(np.std(fractions)),
                            components=float(np.mean(components)),
                            components_std=float(np.std(components)),
                            diversity=1 - mean_pairwise_iou(flat))
    nearest = nearest_iou(flat_gen, flat_train)
    report['generated'].update(novelty_iou=float(nearest.mean()),
                               copies=float((nearest > copy_iou).mean()))
    return report


def format_report(report: Dict[str, Dict[str, float]]) -> str:
    """The report as a Markdown table, one row per quantity."""
    keys = ['count', 'fg_fraction', 'fg_fraction_std', 'components', 'components_std',
            'diversity', 'novelty_iou', 'copies', 'rejected', 'adherence_dropped']
    lines = ['| | generated | training |', '|---|---|---|']
    for key in keys:
        cells = [report[s].get(key) for s in ('generated', 'training')]
        if all(c is None for c in cells):
            continue
        shown = ['-' if c is None else (f'{c:.4g}' if isinstance(c, float) else str(c))
                 for c in cells]
        lines.append(f'| {key} | {shown[0]} | {shown[1]} |')
    return '\n'.join(lines)


def save_report_figure(generated, training, path: Path, num_samples: int = 16) -> None:
    """Histograms of foreground fraction and component count (both sets) and a grid of
    generated masks above training masks, as one PNG."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(12, 6.5))
    grid = fig.add_gridspec(2, 2, height_ratios=(1.0, 0.45))
    axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]),
            fig.add_subplot(grid[1, :])]
    for masks, label in ((training, 'training'), (generated, 'generated')):
        axes[0].hist([foreground_fraction(m) for m in masks], bins=20, alpha=0.5, density=True,
                     label=label)
        counts = [component_count(m) for m in masks]
        axes[1].hist(counts, bins=np.arange(0, max(counts) + 2) - 0.5, alpha=0.5, density=True,
                     label=label)
    axes[0].set_title('foreground fraction')
    axes[1].set_title('components')
    for axis in axes[:2]:
        axis.legend()
    rows = []
    for masks in (generated, training):
        tiles = [cv2.resize(m * 255, (64, 64), interpolation=cv2.INTER_NEAREST)
                 for m in masks[:num_samples]]
        tiles += [np.full((64, 64), 128, np.uint8)] * (num_samples - len(tiles))
        rows.append(np.concatenate([np.pad(t, 1, constant_values=128) for t in tiles], axis=1))
    axes[2].imshow(np.concatenate(rows), cmap='gray')
    axes[2].set_title('generated (top) | training (bottom)')
    axes[2].axis('off')
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=100)
    plt.close(fig)
    write_bytes_atomic(buffer.getvalue(), path)
