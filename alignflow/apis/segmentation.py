"""Segmentor configs made ready to run: the top-level ``synthetic_mix`` and missing weights.

``synthetic_mix = dict(data_root=..., synthetic_ratio=1.0, max_pairs=None, seed=0)`` in any
segmentation config (or ``--cfg-options synthetic_mix.data_root=DIR``) wraps its training set
in :class:`~alignflow.datasets.RealSyntheticMix`, so that one owner turns every real-only config
into its real + synthetic variant. ``pretrained`` weights named in ``init_cfg`` that are not on
disk are dropped with a warning: the config then trains from scratch instead of failing.
"""
import copy
import json
import logging
import os.path as osp
from pathlib import Path
from typing import Iterator, Optional, Tuple

from mmengine.config import Config
from mmengine.logging import print_log

MIX_KEYS = {'data_root', 'synthetic_ratio', 'max_pairs', 'seed'}


def _resize_scale(pipeline) -> Optional[Tuple[int, int]]:
    """(H, W) of the pipeline's fixed-size ``Resize`` (mmcv scales are (W, H)), else None."""
    for step in pipeline or []:
        if step.get('type') == 'Resize' and not step.get('keep_ratio', False):
            width, height = step['scale']
            return int(height), int(width)
    return None


def apply_synthetic_mix(cfg: Config) -> None:
    """Replace ``train_dataloader.dataset`` by a ``RealSyntheticMix`` of it and the synthetic
    folder ``cfg.synthetic_mix.data_root`` (nothing without a ``synthetic_mix``).

    Refused before any training, with the value named: unknown keys, a missing folder or one
    without ``synthesis.json``, a negative ratio, and pairs painted at another size than the
    segmentor trains at (they would be resized, so the mix would not be what the run says).
    """
    mix = cfg.get('synthetic_mix')
    if not mix:
        return
    unknown = set(mix) - MIX_KEYS
    if unknown:
        raise ValueError(f'{cfg.filename}: synthetic_mix has unknown keys {sorted(unknown)}; '
                         f'it takes {sorted(MIX_KEYS)}')
    root = mix.get('data_root')
    if not root:
        raise ValueError(f'{cfg.filename}: synthetic_mix needs data_root (a folder written '
                         'by tools/synthesize.py)')
    ratio = mix.get('synthetic_ratio', 1.0)
    if not isinstance(ratio, (int, float)) or ratio < 0:
        raise ValueError(f'synthetic_mix.synthetic_ratio must be a number >= 0 (synthetic '
                         f'pairs per real pair), got {ratio!r}')
    provenance = Path(root) / 'synthesis.json'
    if not provenance.is_file():
        raise FileNotFoundError(
            f'synthetic_mix.data_root={root}: no synthesis.json there; write the pairs with '
            f'`python tools/synthesize.py ... --out-dir {root}`')
    real = cfg.train_dataloader.dataset
    if real.get('type') == 'RealSyntheticMix':
        raise ValueError(f'{cfg.filename}: train_dataloader.dataset is already a '
                         'RealSyntheticMix; drop synthetic_mix or the explicit mix')
    painted = tuple(json.loads(provenance.read_text()).get('size') or ())
    trained = _resize_scale(real.get('pipeline'))
    if painted and trained and painted != trained:
        raise ValueError(
            f'{root} holds pairs of {painted[0]}x{painted[1]} px but {cfg.filename} trains at '
            f'{trained[0]}x{trained[1]}; synthesize with a generator of that resolution or '
            f'use a segmentation config of {painted[0]} px')
    synthetic = dict(type='SyntheticSegDataset', data_root=root,
                     max_pairs=mix.get('max_pairs'))
    cfg.train_dataloader.dataset = dict(
        type='RealSyntheticMix', real=copy.deepcopy(real), synthetic=synthetic,
        synthetic_ratio=ratio, seed=mix.get('seed', 0))


def _init_cfgs(model: dict) -> Iterator[Tuple[dict, str, str]]:
    """(owner, key, path) of every pretrained checkpoint the segmentor's config names."""
    if model.get('pretrained'):
        yield model, 'pretrained', model['pretrained']
    for part in ('backbone', 'decode_head', 'auxiliary_head'):
        init = (model.get(part) or {}).get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            yield model[part], 'init_cfg', init.get('checkpoint')


def drop_missing_pretrained(cfg: Config) -> None:
    """Remove pretrained weights that are neither a file on disk nor a URL, warning once per
    path, so a user without them trains from scratch instead of failing at the first load."""
    model = cfg.get('model') or {}
    for owner, key, path in list(_init_cfgs(model)):
        if path is None or '://' in str(path) or osp.isfile(str(path)):
            continue
        print_log(f'pretrained weights {path} not found: training {key} of the '
                  f'{owner.get("type", "model")} from scratch. Download them (the model base '
                  f'config says from where) for the published figures.',
                  logger='current', level=logging.WARNING)
        owner[key] = None
