"""One training of an orchestrated step: its config, resumable in its own folder, and the run."""
import copy
import hashlib
import os.path as osp
from pathlib import Path
from typing import Optional, Sequence

from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from alignflow.apis.runner import build_runner, load_config


def step_config(path: str, work_dir: Path, cfg_options: Optional[dict],
                launcher: str = 'none') -> Config:
    """``path`` with ``cfg_options`` applied, training into ``work_dir`` and resuming from its
    last checkpoint when it has one.

    mmengine keeps loggers, message hubs and visualizers by name for the life of a process,
    and names them by config and second: two steps of one config started within a second
    would write into each other's logs. Each step is therefore named after its folder too.
    """
    cfg = load_config(path, launcher, copy.deepcopy(cfg_options) or None, str(work_dir))
    cfg.resume, cfg.load_from = True, None
    folder = hashlib.sha256(str(Path(work_dir).resolve()).encode()).hexdigest()[:8]
    cfg.experiment_name = f'{osp.splitext(osp.basename(path))[0]}_{folder}'
    cfg.visualizer = dict(cfg.get('visualizer', {}), name=f'visualizer_{work_dir}')
    return cfg


def train(cfg: Config, hooks: Sequence[Hook] = ()) -> Runner:
    """Build the runner of ``cfg`` (:func:`~alignflow.apis.runner.build_runner`), register
    ``hooks`` (instances that watch the run, e.g. progress; not part of the config, so not of
    the step's fingerprint) and train."""
    runner = build_runner(cfg)
    for hook in hooks:
        runner.register_hook(hook)
    runner.train()
    return runner
