"""Progress of a protocol run: each step as it starts and ends, a training's iterations with
their rate and ETA, and the whole run's ETA; the time each step took, kept in the work dir.

The whole run's ETA adds the steps still to make, each its units (iterations of a training,
pairs of a synthetic set, one distance measurement) times the seconds a unit of its kind took
so far in this run, else ``seconds_per_unit`` (a prior measured on some machine), else the
time the same step took last time (``timing.json``).
"""
import contextlib
import json
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

from mmengine.hooks import Hook

from alignflow.utils.atomic_io import write_text_atomic

TIMING = 'timing.json'


def clock(seconds: float) -> str:
    """``seconds`` as m:ss (h:mm:ss from an hour)."""
    seconds = int(round(max(seconds, 0)))
    hours, rest = divmod(seconds, 3600)
    return f'{hours}:{rest // 60:02d}:{rest % 60:02d}' if hours else \
        f'{rest // 60}:{rest % 60:02d}'


def describe(key: tuple) -> str:
    """A step key in words: ``stage 1``, ``stage 2 toy draw 0``, ``synthesis aligned toy draw
    0``, ``distances ...``, ``segmentor unet aligned_draw0 seed 1``."""
    kind = key[0]
    if kind == 'stage1':
        return 'stage 1'
    if kind == 'mask_generator':
        return 'mask generator'
    if kind == 'align':
        return f'stage 2 {key[1]} draw {key[2]}'
    if kind in ('synthetic', 'distances'):
        arm, target, draw = key[1:4]
        name = 'synthesis' if kind == 'synthetic' else 'distances'
        where = '' if target is None else f' {target} draw {draw}'
        return f'{name} {arm}{where}' + (f' to {key[4]}' if kind == 'distances' else '')
    run = key[1]
    return f'segmentor {run.segmentor} {run.arm_dir} seed {run.seed} on {run.target}'


class _IterationHook(Hook):
    """Reports a training's iterations to its :class:`ProtocolProgress`."""

    priority = 'VERY_LOW'

    def __init__(self, progress: 'ProtocolProgress'):
        self.progress = progress

    def before_train(self, runner) -> None:
        self.progress.training_started(runner.iter, runner.max_iters)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self.progress.iteration(runner.iter + 1, runner.max_iters)


class ProtocolProgress:
    """Progress lines and step times of one protocol run.

    Args:
        log: where the lines go.
        seconds_per_unit: prior seconds per unit by step kind (``stage1``, ``mask_generator``,
            ``align``, ``synthetic``, ``distances``, ``segment``), used until a step of that
            kind has run here.
        interval_s: seconds between two lines of one training.
    """

    def __init__(self, log: Callable[[str], None] = print,
                 seconds_per_unit: Optional[Dict[str, float]] = None, interval_s: float = 10.0):
        self.log = log
        self.prior = dict(seconds_per_unit or {})
        self.interval_s = interval_s
        self.plan: List[tuple] = []
        self.units: Dict[tuple, int] = {}
        self.measured: Dict[str, List[float]] = {}
        self.timing: Dict[str, dict] = {}
        self.timing_path: Optional[Path] = None
        self.current: Optional[tuple] = None
        self.made: List[tuple] = []
        self._started = self._last_line = self._run_started = 0.0
        self._first_iter = 0

    def plan_run(self, steps) -> None:
        """Plan the steps of ``steps`` (a :class:`~alignflow.protocol.steps.Protocol`) still
        to make, and read the step times of earlier runs in its work dir."""
        self.plan = [key for wave in steps.waves() for key in wave if not steps.is_made(key)]
        self.units = {key: steps.step_units(key) for key in self.plan}
        self.timing_path = Path(steps.work_dir) / TIMING
        if self.timing_path.is_file():
            self.timing = json.loads(self.timing_path.read_text())
        self._run_started = time.monotonic()
        total = self.eta()
        self.log(f'[protocol] {len(self.plan)} steps to make in {steps.work_dir}'
                 + (f', about {clock(total)}' if total is not None else '')
                 + ('' if self.plan else ': every step is made, re-reading the results'))

    def _kind_rate(self, key: tuple) -> Optional[float]:
        kind = key[0]
        if self.measured.get(kind):
            done = self.measured[kind]
            return done[0] / done[1]
        if kind in self.prior:
            return self.prior[kind]
        last = self.timing.get(describe(key))
        return last['seconds'] / max(last['units'], 1) if last else None

    def eta(self, current_left: float = 0.0) -> Optional[float]:
        """Seconds left in the whole run: ``current_left`` for the step under way, plus every
        planned step not made yet; None while one of their kinds has no rate at all."""
        total = current_left
        for key in self.plan:
            if key in self.made or key == self.current:
                continue
            rate = self._kind_rate(key)
            if rate is None:
                return None
            total += rate * self.units[key]
        return total

    def _prefix(self) -> str:
        return f'[{len(self.made) + 1}/{max(len(self.plan), 1)} {describe(self.current)}]'

    def _whole(self, current_left: Optional[float]) -> str:
        left = None if current_left is None else self.eta(current_left)
        return 'whole run ETA ' + ('?' if left is None else clock(left))

    @contextlib.contextmanager
    def step(self, key: tuple) -> Iterator[None]:
        """Time the making of the step ``key`` (not what it is made from)."""
        outer = self.current
        self.current, self._started, self._last_line = key, time.monotonic(), 0.0
        units = self.units.get(key, 1)
        rate = self._kind_rate(key)
        expect = f', about {clock(rate * units)}' if rate is not None else ''
        self.log(f'{self._prefix()} started{expect}; '
                 f'{self._whole(None if rate is None else rate * units)}')
        yield
        seconds = time.monotonic() - self._started
        kind = self.measured.setdefault(key[0], [0.0, 0])
        kind[0] += seconds
        kind[1] += units
        self.timing[describe(key)] = dict(seconds=round(seconds, 2), units=units)
        if self.timing_path is not None:
            write_text_atomic(json.dumps(self.timing, indent=2), self.timing_path)
        self.log(f'{self._prefix()} done in {clock(seconds)}; {self._whole(0.0)}')
        self.made.append(key)
        self.current = outer

    def hooks(self) -> List[Hook]:
        """The hook a training registers so its iterations are reported."""
        return [_IterationHook(self)]

    def training_started(self, first_iter: int, max_iters: int) -> None:
        self._first_iter, self._started = first_iter, time.monotonic()
        if first_iter:
            self.log(f'{self._prefix()} resumed at iteration {first_iter}/{max_iters}')

    def iteration(self, done: int, max_iters: int) -> None:
        """A training finished iteration ``done`` of ``max_iters``: a line every
        ``interval_s`` seconds and at the last one."""
        now = time.monotonic()
        if now - self._last_line < self.interval_s and done < max_iters:
            return
        self._last_line = now
        per_iter = (now - self._started) / max(done - self._first_iter, 1)
        left = per_iter * (max_iters - done)
        self.log(f'{self._prefix()} iter {done}/{max_iters}, {1 / per_iter:.2f} it/s, '
                 f'ETA {clock(left)}; {self._whole(left)}')

    def finish(self) -> None:
        if self.plan:
            self.log(f'[protocol] {len(self.plan)} steps made in '
                     f'{clock(time.monotonic() - self._run_started)}')


class NoProgress(ProtocolProgress):
    """Nothing reported, nothing timed (the protocol without a progress)."""

    def plan_run(self, steps) -> None:
        pass

    @contextlib.contextmanager
    def step(self, key: tuple) -> Iterator[None]:
        yield

    def hooks(self) -> List[Hook]:
        return []

    def finish(self) -> None:
        pass
