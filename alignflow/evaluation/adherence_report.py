"""Mask adherence of several named pair folders with one segmentor, as a table (what
``tools/analysis/mask_adherence.py`` prints)."""
import json
import os.path as osp
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from alignflow.utils import register_all_modules
from alignflow.utils.atomic_io import write_text_atomic
from .mask_adherence import load_segmentor, score_pair_folder


def parse_named_folders(items: Sequence[str]) -> List[Tuple[str, str]]:
    """``NAME=FOLDER`` items as (name, folder), each folder holding ``images/`` + ``masks/``."""
    folders = []
    for item in items:
        name, sep, folder = item.partition('=')
        if not sep or not name or not folder:
            raise ValueError(f'expected NAME=FOLDER, got {item!r}')
        if not osp.isdir(osp.join(folder, 'images')) or not osp.isdir(osp.join(folder, 'masks')):
            raise FileNotFoundError(f'{folder} (for {name!r}) needs images/ and masks/ '
                                    'subfolders; write generated pairs with tools/test.py --out')
        folders.append((name, folder))
    return folders


def adherence_table(scores: Dict[str, dict]) -> str:
    """Markdown: per folder, images, lesion Dice (mean ± std), IoU and the share found."""
    lines = ['| pairs | images | lesion Dice (mean ± std) | lesion IoU | found (Dice ≥ 0.5) |',
             '|---|---|---|---|---|']
    for name, s in scores.items():
        lines.append(f"| {name} | {s['images']} | {s['dice']:.3f} ± {s['dice_std']:.3f} | "
                     f"{s['iou']:.3f} | {100 * s['found']:.0f}% |")
    return '\n'.join(lines)


def _check_out(out: str, folders: Sequence[Tuple[str, str]]) -> None:
    """``out`` lies in no folder it scores and replaces no file but an earlier score file."""
    target = Path(out).resolve()
    for name, folder in folders:
        if Path(folder).resolve() in target.parents:
            raise ValueError(f'--out {out} lies inside {folder} (scored as {name!r}): write the '
                             'scores outside the folders they are about')
    if target.exists():
        try:
            previous = json.loads(target.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError):
            previous = None
        if not isinstance(previous, dict) or not all(
                isinstance(v, dict) and 'dice' in v for v in previous.values()):
            raise FileExistsError(f'--out {out} exists and is not a score file of this tool; '
                                  'name a new file')


def score_folders(config: str, checkpoint: str, items: Sequence[str],
                  cfg_options: Optional[dict] = None,
                  out: Optional[str] = None) -> Dict[str, dict]:
    """Score every ``NAME=FOLDER`` of ``items`` with the segmentor of ``config`` and
    ``checkpoint``; write the scores to ``out`` (JSON) when given."""
    folders = parse_named_folders(items)
    if out:
        _check_out(out, folders)
    register_all_modules()
    model, cfg = load_segmentor(config, checkpoint, 'the checkpoint argument', cfg_options)
    scores = {name: score_pair_folder(model, cfg, folder) for name, folder in folders}
    if out:
        write_text_atomic(json.dumps(scores, indent=2), out)
    return scores
