"""What ``tools/benchmark.py`` does: load a protocol, check it and its work dir, then list its
runs (a dry run), make its steps one after another, or make them as jobs of a launcher."""
import os
import os.path as osp
from typing import Callable, List, Optional

from mmengine.config import Config

from .launch import build_executor, run_as_jobs
from .progress import ProtocolProgress
from .spec import SegRun, check_protocol, seg_runs
from .steps import Protocol
from .store import StaleArtefactError


class ProtocolError(ValueError):
    """A mistake in a protocol or its work dir, with what to do about it."""


def load_protocol(path: str, cfg_options: Optional[dict] = None) -> Config:
    """The protocol config at ``path`` with ``cfg_options`` merged, checked before anything
    trains (:func:`~alignflow.protocol.spec.check_protocol`)."""
    if not osp.isfile(path):
        raise ProtocolError(f'protocol {path} does not exist')
    protocol = Config.fromfile(path)
    if cfg_options:
        protocol.merge_from_dict(cfg_options)
    try:
        check_protocol(protocol)
    except (ValueError, FileNotFoundError) as err:
        raise ProtocolError(f'{path}: {err}') from err
    return protocol


def default_work_dir(path: str, protocol: Config) -> str:
    """The protocol's ``work_dir``, else ``work_dirs/benchmark/<protocol name>``."""
    return protocol.get('work_dir') or os.path.join(
        'work_dirs', 'benchmark', osp.splitext(osp.basename(path))[0])


def checked_steps(protocol: Config, work_dir: str, launcher: str = 'none',
                  log: Callable[[str], None] = print,
                  progress: Optional[ProtocolProgress] = None) -> Protocol:
    """The protocol's steps, once its work dir and the checkpoints it gives are checked."""
    steps = Protocol(protocol, work_dir, launcher, log=log, progress=progress)
    try:
        steps.check_finished_steps()
    except StaleArtefactError as err:
        raise ProtocolError(f'{protocol.filename}: {work_dir}: {err}') from err
    try:
        steps.check_given_alignments()
    except ValueError as err:
        raise ProtocolError(f'{protocol.filename}: {err}') from err
    return steps


def dry_run(protocol: Config, work_dir: str, log: Callable[[str], None] = print) -> List[SegRun]:
    """Check the protocol and its work dir and list its segmentor runs; write nothing."""
    checked_steps(protocol, work_dir, log=log)
    runs = seg_runs(protocol)
    log(f'{protocol.filename}: valid; {len(runs)} segmentor runs in {work_dir} (its finished '
        'steps match the protocol):')
    for run in runs:
        log(f'  {run.target} {run.segmentor} {run.arm_dir} seed {run.seed}')
    return runs


def run_protocol(protocol: Config, work_dir: str, launcher: str = 'none',
                 executor: Optional[str] = None, max_parallel: int = 4,
                 gpus: Optional[List[int]] = None, executor_parameters: Optional[dict] = None,
                 log: Callable[[str], None] = print,
                 progress: Optional[ProtocolProgress] = None) -> List[dict]:
    """Make every step and write ``results.csv`` and ``results.md``: one after another in this
    process (``executor=None``, the default; every training uses all ranks of ``launcher``),
    or as jobs of a submitit executor (``'local'``, ``'slurm'``, ``'debug'``,
    :mod:`alignflow.protocol.launch`). ``progress`` reports a sequential run's steps, its
    trainings' iterations and the whole run's ETA."""
    steps = checked_steps(protocol, work_dir, launcher, log=log, progress=progress)
    if executor is None:
        return steps.run()
    jobs = build_executor(executor, work_dir, **(executor_parameters or {}))
    return run_as_jobs(protocol, work_dir, jobs, max_parallel=max_parallel, gpus=gpus, log=log)
