"""Run a protocol's independent steps at once, as jobs of an existing launcher (submitit).

Why submitit: the steps are Python calls over one step store that already caches, resumes and
refuses stale work (:mod:`alignflow.protocol.store`); submitit runs a pickled Python call as a
local process, a Slurm job, or in-process for debugging, behind one executor API, and gives
back its result or its traceback. A workflow engine (Snakemake, say) would keep a second DAG
with its own notion of what is done beside the store. Jobs run wave by wave
(:meth:`~alignflow.protocol.steps.Protocol.waves`): every step of a wave at once, at most
``max_parallel`` together, then the next wave; the results table is written last, from the
finished steps, by the same code as a sequential run.

    executor = build_executor('slurm', work_dir, slurm_partition='gpu', gpus_per_node=1)
    run_as_jobs(protocol, work_dir, executor)
"""
from pathlib import Path
from typing import Callable, List, Optional

import submitit
from mmengine.config import Config

from .steps import Protocol

EXECUTORS = ('local', 'slurm', 'debug')


def build_executor(cluster: str, work_dir: str, timeout_min: int = 24 * 60,
                   **parameters) -> submitit.Executor:
    """A submitit executor writing its job logs under ``<work_dir>/jobs``.

    Args:
        cluster: ``'local'`` (one process per job on this machine), ``'slurm'`` (one Slurm job
            per step) or ``'debug'`` (in this process, one after another: a debugger stops in
            the step).
        timeout_min: the time limit of one step (submitit's local default is 2 minutes).
        parameters: the executor's own parameters: ``gpus_per_node`` for ``'local'``;
            ``slurm_partition``, ``gpus_per_node``, ``cpus_per_task``, ``mem_gb``... for
            ``'slurm'`` (see ``submitit.AutoExecutor``).
    """
    folder = Path(work_dir) / 'jobs' / '%j'
    if cluster == 'local':
        executor = submitit.LocalExecutor(folder)
    elif cluster == 'debug':
        executor = submitit.DebugExecutor(folder)
    elif cluster == 'slurm':
        executor = submitit.AutoExecutor(folder, cluster='slurm')
    else:
        raise ValueError(f'executor {cluster!r} is unknown; choose from {list(EXECUTORS)}')
    executor.update_parameters(timeout_min=timeout_min, **parameters)
    return executor


def make_step(protocol: dict, filename: Optional[str], work_dir: str, key: tuple):
    """One job: make the step ``key`` of the protocol (a plain dict: a job is pickled)."""
    return Protocol(Config(protocol, filename=filename), work_dir).make(key)


def run_as_jobs(protocol: Config, work_dir: str, executor: submitit.Executor,
                max_parallel: int = 4, gpus: Optional[List[int]] = None,
                log: Callable[[str], None] = print) -> List[dict]:
    """Make every step of ``protocol`` through ``executor``, wave by wave, then write and
    return the results as :meth:`Protocol.run` does.

    Args:
        max_parallel: jobs of one wave that run at once.
        gpus: on a local executor, the GPUs to spread the jobs over (job i of a batch sees
            ``gpus[i]`` alone); None leaves the executor's own setting.
    """
    steps = Protocol(protocol, work_dir, log=log)
    steps.check_finished_steps()
    steps.check_given_alignments()
    if gpus:
        max_parallel = min(max_parallel, len(gpus))
    settings = (protocol.to_dict(), protocol.filename, str(work_dir))
    for wave in steps.waves():
        todo = [key for key in wave if not steps.is_made(key)]
        for start in range(0, len(todo), max_parallel):
            batch = todo[start:start + max_parallel]
            jobs = []
            for slot, key in enumerate(batch):
                if gpus:
                    executor.update_parameters(visible_gpus=[gpus[slot]], gpus_per_node=1)
                jobs.append(executor.submit(make_step, *settings, key))
                log(f'[jobs] {describe(key)}: job {jobs[-1].job_id}')
            for key, job in zip(batch, jobs):
                job.result()  # raises the step's own error, with its log's path
    return Protocol(protocol, work_dir, log=log).run()


def describe(key: tuple) -> str:
    """A step key in words, for progress lines."""
    if key[0] == 'segment':
        run = key[1]
        return f'segment {run.target} {run.segmentor} {run.arm_dir} seed {run.seed}'
    return ' '.join(str(part) for part in key if part is not None)
