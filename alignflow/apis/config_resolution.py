"""What a config becomes before its runner is built: one ordered list of resolvers.

:func:`resolve_config` applies :data:`RESOLVERS` in this order; each rewrites the config in
place and leaves a config that does not use it untouched:

1. :func:`prepare_reference_split`: ``reference_split`` -> ``model.reference_images`` (the
   references) and, for each ``GenerationMetric`` with ``real=None``, ``real`` (the held-out
   target images; a ``ReferenceCheckMetric`` gets the references); recorded in
   ``<work_dir>/reference_split.json``. Target images that are also source images are
   refused.
2. :func:`fill_real_images`: a stage-1 ``GenerationMetric`` with ``real=None`` -> the
   training images.
3. :func:`fill_c2st_source`: a C2ST metric with ``c2st_source=None``, a
   ``ReferenceCheckMetric`` with ``source=None`` -> the training images.
4. :func:`apply_synthetic_mix`: ``synthetic_mix`` -> ``train_dataloader.dataset`` becomes a
   ``RealSyntheticMix`` of the real set and the synthetic folder.
5. :func:`drop_missing_pretrained`: ``pretrained`` weights not on disk -> None (from scratch).

The order matters: the held-out images are the ``real`` of a stage-2 metric before anything
else may fill it, and the metrics read the real training set before the synthetic mix
replaces it. The launcher's adaptation to CPU (:func:`alignflow.utils.prepare_launcher`) is
not a resolver: it also starts the process group, so ``build_runner`` runs it first.
"""
import copy
import json
import logging
import os.path as osp
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Tuple

from mmengine.config import Config
from mmengine.logging import print_log

from alignflow.datasets.overlap import check_no_overlap, dataset_image_files
from alignflow.datasets.references import (ReferenceSplit, build_reference_split,
                                           read_reference_split, save_reference_split)
from alignflow.utils.checkpoint import read_checkpoint, saved_config

EVALUATORS = ('val_evaluator', 'test_evaluator')
RECORD_NAME = 'reference_split.json'
MIX_KEYS = {'data_root', 'synthetic_ratio', 'max_pairs', 'seed'}


def metric_cfgs(evaluator) -> Iterator[dict]:
    """The metric configs of an evaluator config (a dict, a list, or ``dict(metrics=...)``)."""
    if evaluator is None:
        return
    if isinstance(evaluator, dict) and 'metrics' in evaluator:
        evaluator = evaluator['metrics']
    for metric in evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]:
        if isinstance(metric, dict):
            yield metric


def _metrics(cfg: Config) -> Iterator[Tuple[str, dict]]:
    """(evaluator name, metric config) of every metric of ``val_evaluator``/``test_evaluator``."""
    for name in EVALUATORS:
        for metric in metric_cfgs(cfg.get(name)):
            yield name, metric


def _legacy_keys(cfg: Config) -> List[str]:
    """Config keys of the split written before ``reference_split`` owned it."""
    found = []
    if isinstance(cfg.get('model'), dict) and 'references' in cfg.model:
        found.append('model.references')
    for name in EVALUATORS:
        if any('exclude_references' in m for m in metric_cfgs(cfg.get(name))):
            found.append(f'{name}.exclude_references')
    return found


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


def prepare_reference_split(cfg: Config) -> Optional[ReferenceSplit]:
    """Build the split ``cfg.reference_split`` names and hand it to the model and metrics.

    A few-shot config names the split once, as the top-level key
    ``reference_split = dict(folder='data/CVC-ClinicDB', k=5, seed=0, num_heldout=100)`` (the
    arguments of :func:`alignflow.datasets.build_reference_split`; a sibling config says only
    what differs, e.g. ``reference_split = dict(k=10)``). This sets ``cfg.model.reference_images``
    (the references, the reward's bank) and, for every ``GenerationMetric`` with ``real=None``,
    ``real`` (the held-out images), so the images a result is judged on never include the
    references the model was aligned to. The split is written to
    ``<cfg.work_dir>/reference_split.json`` when the config has a work dir; a resumed run
    (``cfg.resume``) must find the split it was started with.

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
    check_target_not_in_source(cfg, split)
    if isinstance(cfg.get('model'), dict):
        cfg.model.reference_images = [str(p) for p in split.references]
    heldout = [str(p) for p in split.heldout]
    for name, metric in _metrics(cfg):
        if metric.get('type') == 'GenerationMetric' and metric.get('real') is None:
            if not heldout:
                raise ValueError(
                    f'{cfg.filename}: reference_split holds out no target image (every image '
                    f'of {spec["folder"]} is a reference), so the GenerationMetric of {name} '
                    f'has nothing to score against. With only a few target images validate '
                    f'on the references alone: {name} = dict(type=\'ReferenceCheckMetric\', '
                    f'references=None), as configs/stage2/stage2_custom_5shot_64px.py does; '
                    f'or hold images out with reference_split.num_heldout')
            metric['real'] = heldout
        if metric.get('type') == 'ReferenceCheckMetric' and metric.get('references') is None:
            metric['references'] = [str(p) for p in split.references]
    print_log(f'{len(split.references)} references ({", ".join(p.name for p in split.references)}'
              f'), {len(split.heldout)} held-out images for evaluation', logger='current')
    if cfg.get('work_dir'):
        _record(cfg, split, spec)
    return split


def _stage1_training_set(cfg: Config) -> Optional[dict]:
    """The ``train_dataloader.dataset`` stage 1 was trained on, as its checkpoint recorded it
    (``--cfg-options`` included), or None without a readable stage-1 checkpoint."""
    checkpoint = (cfg.get('model') or {}).get('stage1_checkpoint')
    if not isinstance(checkpoint, str) or not osp.isfile(checkpoint):
        return None
    saved = saved_config(read_checkpoint(checkpoint, 'model.stage1_checkpoint'))
    dataset = ((saved or {}).get('train_dataloader') or {}).get('dataset')
    return dataset if isinstance(dataset, dict) else None


def check_target_not_in_source(cfg: Config, split: ReferenceSplit) -> None:
    """Refuse a split whose references or held-out images are also images of the source set
    (``train_dataloader.dataset``) or of the set stage 1 was trained on (as its checkpoint
    recorded it), compared by pixels, not names
    (:func:`alignflow.datasets.overlap.check_no_overlap`)."""
    fix = ('Few-shot alignment must not see its target in the source: point '
           'reference_split.folder at target images that are not source images, or train '
           'stage 1 on a source set without them (PraNet\'s TrainDataset holds 900 Kvasir-SEG '
           'and 550 CVC-ClinicDB pairs: use Kvasir-SEG alone as the source when the target is '
           'CVC-ClinicDB).')
    checked = set()
    for what, dataset in (('train_dataloader.dataset', (cfg.get('train_dataloader') or {}).get(
            'dataset')), ('the training set of model.stage1_checkpoint',
                          _stage1_training_set(cfg))):
        source = dataset_image_files(dataset) if isinstance(dataset, dict) else None
        if source is None:
            if what == 'train_dataloader.dataset':
                print_log(f'the source set of {what} is not on this machine: the target '
                          f'images were not checked against it', logger='current',
                          level=logging.WARNING)
            continue
        if tuple(source) in checked:
            continue
        checked.add(tuple(source))
        source_name = f'{what} ({len(source)} images)'
        check_no_overlap(split.references, source, 'reference images', source_name, fix)
        check_no_overlap(split.heldout, source, 'held-out target images', source_name, fix)


def _training_images(cfg: Config, evaluator: str, key: str) -> dict:
    """``train_dataloader.dataset`` without its pipeline: the real images the generator learns
    from, so that a ``data_root`` override moves a metric's images with it."""
    dataset = (cfg.get('train_dataloader') or {}).get('dataset')
    if dataset is None:
        raise ValueError(f'{cfg.filename}: a metric of {evaluator} has {key}=None (the training '
                         f'images) but the config has no train_dataloader.dataset; set {key}')
    return dict(dataset, pipeline=[])


def fill_real_images(cfg: Config) -> None:
    """A stage-1 ``GenerationMetric`` with ``real=None`` gets the training images. A stage-2
    config (``reference_split``, or ``model.reference_images`` set by hand) is left alone:
    :func:`prepare_reference_split` gives it the held-out target images, and the source
    images would measure the wrong distance."""
    model = cfg.get('model') or {}
    if cfg.get('reference_split') is not None or model.get('reference_images') is not None:
        return
    for name, metric in _metrics(cfg):
        if metric.get('type') == 'GenerationMetric' and metric.get('real') is None:
            metric['real'] = _training_images(cfg, name, 'real')


def fill_c2st_source(cfg: Config) -> None:
    """A ``GenerationMetric`` measuring ``c2st`` with ``c2st_source=None``, and a
    ``ReferenceCheckMetric`` with ``source=None``, get the real source images of the run: its
    training images."""
    for name, metric in _metrics(cfg):
        if 'c2st' in metric.get('measures', ()) and metric.get('c2st_source') is None:
            metric['c2st_source'] = _training_images(cfg, name, 'c2st_source')
        if metric.get('type') == 'ReferenceCheckMetric' and metric.get('source') is None:
            metric['source'] = _training_images(cfg, name, 'source')


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

    ``synthetic_mix = dict(data_root=..., synthetic_ratio=1.0, max_pairs=None, seed=0)`` in any
    segmentation config (or ``--cfg-options synthetic_mix.data_root=DIR``) so turns a real-only
    config into its real + synthetic variant. Refused before any training, with the value
    named: unknown keys, a missing folder or one without ``synthesis.json``, a negative ratio,
    and pairs painted at another size than the segmentor trains at (they would be resized, so
    the mix would not be what the run says).
    """
    mix = cfg.get('synthetic_mix')
    if not mix or ('data_root' in mix and mix['data_root'] is None):
        return  # the segmentation bases declare data_root=None: real pairs only
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
            f'{trained[0]}x{trained[1]}, and resizing them would change what the run says it '
            f'mixes. Paint the pairs at the segmentor\'s size: `python tools/synthesize.py '
            f'configs/stage2/stage2_<target>_<k>shot_{trained[0]}px.py CKPT --out-dir DIR` '
            f'(the generators come at 32, 64, 128 and 256 px), or train a segmentation config '
            f'of {painted[0]} px (configs/segmentation/*_polyp_{painted[0]}.py)')
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


RESOLVERS: Tuple[Callable[[Config], object], ...] = (
    prepare_reference_split,
    fill_real_images,
    fill_c2st_source,
    apply_synthetic_mix,
    drop_missing_pretrained,
)


def resolve_config(cfg: Config) -> None:
    """Apply :data:`RESOLVERS` to ``cfg`` in order, in place."""
    for resolver in RESOLVERS:
        resolver(cfg)
