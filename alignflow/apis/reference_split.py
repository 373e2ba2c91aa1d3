"""The reference split of a stage-2 run: one config key, built once, handed to all that need it.

A few-shot config names the split once, as the top-level key::

    reference_split = dict(folder='data/CVC-ClinicDB', k=5, seed=0, num_heldout=100)

(the arguments of :func:`alignflow.datasets.build_reference_split`; a sibling config says only
what differs, e.g. ``reference_split = dict(k=10)``). :func:`prepare_reference_split` builds it
before the runner, gives the references to the model (``model.reference_images``, the
reward's bank) and the held-out images to every ``GenerationMetric`` whose ``real`` is None,
and records it in ``<work_dir>/reference_split.json``. So the images a result is judged on
can never include the references the model was aligned to.
"""
from pathlib import Path
from typing import Iterator, List, Optional

from mmengine.config import Config
from mmengine.logging import print_log

from alignflow.datasets.references import (ReferenceSplit, build_reference_split,
                                           read_reference_split, save_reference_split)

RECORD_NAME = 'reference_split.json'


def metric_cfgs(evaluator) -> Iterator[dict]:
    """The metric configs of an evaluator config (a dict, a list, or ``dict(metrics=...)``)."""
    if evaluator is None:
        return
    if isinstance(evaluator, dict) and 'metrics' in evaluator:
        evaluator = evaluator['metrics']
    for metric in evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]:
        if isinstance(metric, dict):
            yield metric


def _legacy_keys(cfg: Config) -> List[str]:
    """Config keys of the split written before ``reference_split`` owned it."""
    found = []
    if isinstance(cfg.get('model'), dict) and 'references' in cfg.model:
        found.append('model.references')
    for name in ('val_evaluator', 'test_evaluator'):
        if any('exclude_references' in m for m in metric_cfgs(cfg.get(name))):
            found.append(f'{name}.exclude_references')
    return found


def prepare_reference_split(cfg: Config) -> Optional[ReferenceSplit]:
    """Build the split ``cfg.reference_split`` names and hand it to the model and metrics.

    Sets ``cfg.model.reference_images`` (the references) and, for every ``GenerationMetric``
    of ``val_evaluator``/``test_evaluator`` with ``real=None``, ``real`` (the held-out
    images); writes the split to ``<cfg.work_dir>/reference_split.json`` when the config has a
    work dir. A resumed run (``cfg.resume``) must find the split it was started with.

    Returns:
        The split, or None when the config has no ``reference_split``.

    Raises:
        ValueError: the config still sets the split the old way (``model.references``,
            ``*_evaluator.exclude_references``), or a resumed work dir recorded another split.
    """
    legacy = _legacy_keys(cfg)
    if legacy:
        raise ValueError(
            f'{cfg.filename}: {" and ".join(legacy)} are no longer read. Name the split once, '
            f'as the top-level key reference_split = dict(folder=..., k=..., seed=..., '
            f'num_heldout=...) (a sibling config writes only what differs, e.g. '
            f'reference_split = dict(k=10)); move img_size to model.reference_size, drop '
            f'exclude_references and set the metric\'s real=None (the held-out images).')
    spec = cfg.get('reference_split')
    if spec is None:
        return None
    spec = dict(spec)
    if 'folder' not in spec:
        raise ValueError(f'{cfg.filename}: reference_split has no folder; set '
                         f'reference_split.folder to the target images (or a dataset config)')
    split = build_reference_split(**spec)
    if isinstance(cfg.get('model'), dict):
        cfg.model.reference_images = [str(p) for p in split.references]
    heldout = [str(p) for p in split.heldout]
    for name in ('val_evaluator', 'test_evaluator'):
        for metric in metric_cfgs(cfg.get(name)):
            if metric.get('type') == 'GenerationMetric' and metric.get('real') is None:
                metric['real'] = heldout
    print_log(f'{len(split.references)} references ({", ".join(p.name for p in split.references)}'
              f'), {len(split.heldout)} held-out images for evaluation', logger='current')
    if cfg.get('work_dir'):
        _record(cfg, split, spec)
    return split


def _record(cfg: Config, split: ReferenceSplit, spec: dict) -> None:
    record = Path(cfg.work_dir) / RECORD_NAME
    if cfg.get('resume') and record.is_file():
        recorded = read_reference_split(record)
        if recorded.references != split.references:
            raise ValueError(
                f'{record} records the references {[p.name for p in recorded.references]} '
                f'but reference_split now gives {[p.name for p in split.references]}: a resumed '
                f'run must keep its references; restore the config and folder it started with, '
                f'or start a new run in another --work-dir')
    save_reference_split(split, record, spec)
