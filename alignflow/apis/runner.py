"""Config loading and runner construction shared by tools/train.py and tools/test.py."""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from alignflow.registry import RUNNERS
from alignflow.utils import prepare_launcher, register_all_modules
from alignflow.utils.config_options import merge_options
from alignflow.utils.config_renames import renamed_to
from .config_resolution import resolve_config


def load_config(path: str, launcher: str = 'none', cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None) -> Config:
    """Read a config, apply ``--cfg-options`` (keys it does not have are refused:
    :func:`~alignflow.utils.config_options.merge_options`) and choose the work dir as mmseg's
    tools do: the command line, else the config's ``work_dir``, else
    ``./work_dirs/<config name>``."""
    if not osp.isfile(path):
        renamed = renamed_to(path)
        if renamed:
            raise FileNotFoundError(f'config {path} was renamed to {renamed} '
                                    '(configs/RENAMED.json); use the new path')
        raise FileNotFoundError(f'config {path} does not exist; give the path of a config file '
                                '(e.g. one under configs/)')
    cfg = Config.fromfile(path)
    cfg.launcher = launcher
    if cfg_options is not None:
        merge_options(cfg, cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    return cfg


def build_runner(cfg: Config) -> Runner:
    """Register every module, adapt the launcher (gloo on CPU), resolve the config
    (:func:`~alignflow.apis.config_resolution.resolve_config`: reference split, metrics'
    images, synthetic mix, missing weights) and build the runner."""
    register_all_modules(init_default_scope=False)
    prepare_launcher(cfg, cfg.launcher)
    resolve_config(cfg)
    return RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
