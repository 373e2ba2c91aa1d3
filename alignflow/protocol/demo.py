"""The demo of the whole method: the procedural toy source and target domains written into a
work dir, a protocol config run on them by the protocol's own code (:func:`run_protocol`, as
``tools/benchmark.py`` runs it), and its report page.

A demo protocol config is an ordinary protocol (``configs/benchmark/demo.py``) with one helper
variable, ``_toy = dict(img_size=32, num_source=200, num_target=96)``: the toy folders it is
run on. They are written under ``<work_dir>/data/``, named by what they hold, and
``source.data_root`` and ``targets.0.folder`` are pointed at them.
"""
import contextlib
import sys
import warnings
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

from mmengine.config import Config

from alignflow.datasets import write_toy_dataset
from .benchmark import default_work_dir, load_protocol, run_protocol
from .progress import ProtocolProgress
from .report_page import write_report

# Seconds per unit of each step kind in configs/benchmark/demo.py on 2 AMD EPYC cores
# (docs/notes/demo_timing.md): the whole run's ETA before a step of the kind has run.
DEMO_SECONDS_PER_UNIT = dict(stage1=0.23, mask_generator=0.22, align=1.3, synthetic=0.15,
                             distances=1.5, segment=0.06)
TOY_DEFAULTS = dict(img_size=32, num_source=200, num_target=96)


def write_toy_domains(work_dir: str, img_size: int = 32, num_source: int = 200,
                      num_target: int = 96) -> Tuple[Path, Path]:
    """The toy source pairs and target pairs under ``<work_dir>/data/`` (written once; a
    folder's name says its look, size and count, so other settings get other folders)."""
    data = Path(work_dir) / 'data'
    source = write_toy_dataset(data / f'toy_source_{img_size}px_n{num_source}', num_source,
                               img_size, domain='source', seed=0)
    target = write_toy_dataset(data / f'toy_target_{img_size}px_n{num_target}', num_target,
                               img_size, domain='target', seed=1)
    return source, target


def demo_protocol(config: str, work_dir: Optional[str] = None,
                  cfg_options: Optional[dict] = None) -> Tuple[Config, str]:
    """The demo protocol ``config`` (with ``cfg_options``) pointed at its toy folders, which
    are written first, and its work dir (``work_dir``, else the config's)."""
    raw = Config.fromfile(config)
    if cfg_options:
        raw.merge_from_dict(cfg_options)
    work_dir = work_dir or default_work_dir(config, raw)
    toy = dict(TOY_DEFAULTS, **raw.get('_toy', {}))
    source, target = write_toy_domains(work_dir, **toy)
    options = {'source.data_root': str(source), 'targets.0.folder': str(target)}
    options.update(cfg_options or {})
    return load_protocol(config, options), work_dir


@contextlib.contextmanager
def steps_log(path: Path):
    """Send what the steps print (mmengine's loggers write to ``sys.stdout``) and their
    Python warnings to ``path``, leaving the terminal to the progress lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shown = warnings.showwarning

    def to_log(message, category, filename, lineno, file=None, line=None):
        shown(message, category, filename, lineno, log, line)

    with open(path, 'a') as log, contextlib.redirect_stdout(log):
        warnings.showwarning = to_log
        try:
            yield
        finally:
            warnings.showwarning = shown


def run_demo(config: str, work_dir: Optional[str] = None, cfg_options: Optional[dict] = None,
             log: Optional[Callable[[str], None]] = None,
             seconds_per_unit: Optional[Dict[str, float]] = None) -> Path:
    """Write the toy domains, make every step of the demo protocol (each cached in the work
    dir: an interrupted demo continues, a finished one recomputes nothing) with progress
    lines on ``log`` (default: the terminal), the steps' own logs in ``<work_dir>/demo.log``,
    and write the report; returns the report folder.

    Args:
        seconds_per_unit: priors of the whole run's ETA (default
            :data:`DEMO_SECONDS_PER_UNIT`).
    """
    protocol, work_dir = demo_protocol(config, work_dir, cfg_options)
    terminal = sys.stdout
    show = log or (lambda line: print(line, file=terminal, flush=True))
    progress = ProtocolProgress(show, DEMO_SECONDS_PER_UNIT if seconds_per_unit is None
                                else seconds_per_unit)
    show(f'[demo] {config} in {work_dir}; the steps\' own logs go to {work_dir}/demo.log')
    with steps_log(Path(work_dir) / 'demo.log'):
        run_protocol(protocol, work_dir, progress=progress)
        report = write_report(work_dir, protocol, log=show)
    show(f'[demo] report: {report / "report.html"} (and report.md)')
    return report
