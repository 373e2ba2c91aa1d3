"""Config loading and runner construction shared by tools/train.py and tools/test.py."""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from alignflow.registry import RUNNERS
from alignflow.utils import prepare_launcher, register_all_modules
from .reference_split import metric_cfgs, prepare_reference_split
from .segmentation import apply_synthetic_mix, drop_missing_pretrained


def load_config(path: str, launcher: str = 'none', cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None) -> Config:
    """Read a config, apply ``--cfg-options`` and choose the work dir as mmseg's tools do:
    the command line, else the config's ``work_dir``, else ``./work_dirs/<config name>``."""
    cfg = Config.fromfile(path)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    return cfg


def build_runner(cfg: Config) -> Runner:
    """Register every module, adapt the launcher (gloo on CPU), build the reference split of a
    stage-2 config (:func:`prepare_reference_split`), mix in a segmentor's synthetic pairs and
    drop pretrained weights it does not have (:mod:`alignflow.apis.segmentation`), and build
    the runner."""
    register_all_modules(init_default_scope=False)
    prepare_launcher(cfg, cfg.launcher)
    prepare_reference_split(cfg)
    fill_real_images(cfg)
    fill_c2st_source(cfg)
    apply_synthetic_mix(cfg)
    drop_missing_pretrained(cfg)
    return RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)


def _training_images(cfg: Config, evaluator: str, key: str) -> dict:
    """``train_dataloader.dataset`` without its pipeline: the real images the generator learns
    from, so that a ``data_root`` override moves a metric's images with it."""
    dataset = (cfg.get('train_dataloader') or {}).get('dataset')
    if dataset is None:
        raise ValueError(f'{cfg.filename}: {evaluator} has a GenerationMetric with {key}=None '
                         f'but the config has no train_dataloader.dataset; set {key}')
    return dict(dataset, pipeline=[])


def fill_real_images(cfg: Config) -> None:
    """A stage-1 ``GenerationMetric`` with ``real=None`` gets the training images. A stage-2
    config (``reference_split``, or ``model.reference_images`` set by hand) is left alone:
    :func:`prepare_reference_split` gives it the held-out target images, and the source
    images would measure the wrong distance."""
    model = cfg.get('model') or {}
    if cfg.get('reference_split') is not None or model.get('reference_images') is not None:
        return
    for name in ('val_evaluator', 'test_evaluator'):
        for metric in metric_cfgs(cfg.get(name)):
            if metric.get('type') == 'GenerationMetric' and metric.get('real') is None:
                metric['real'] = _training_images(cfg, name, 'real')


def fill_c2st_source(cfg: Config) -> None:
    """A ``GenerationMetric`` measuring ``c2st`` with ``c2st_source=None`` gets the real
    source images of the run: its training images."""
    for name in ('val_evaluator', 'test_evaluator'):
        for metric in metric_cfgs(cfg.get(name)):
            if 'c2st' in metric.get('measures', ()) and metric.get('c2st_source') is None:
                metric['c2st_source'] = _training_images(cfg, name, 'c2st_source')
