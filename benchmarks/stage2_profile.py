"""Stage 2 on CPU: where a default iteration's and a default run's time goes.

For each stage-2 config (default: the appearance preset at 32 and 64 px,
``stage2_clinicdb_5shot_{32,64}px.py``) this builds the runner as ``tools/train.py`` does, with
a stage-1 checkpoint of random weights saved to a temporary folder (the arithmetic, and so the
time, does not depend on the weights), and measures

* ``iteration``: the share of one training iteration in each part of the step, timed with
  wall-clock timers around the model's own functions (wrapped here, in the benchmark; the
  library is unchanged). Times are *self* times: a timer nested in another (a recomputed solver
  step inside the backward, a network evaluation inside a loss part) is subtracted from its
  parent, so the rows add up to the iteration. The single backward of the training step is
  split into three calls that do the same arithmetic: the reward's gradient with respect to
  the samples (``autograd.grad``), that gradient back through the kept solver steps
  (recomputing each checkpointed step), and the loss parts' gradient;
* ``framework``: the median iteration of ``runner.train()`` (data loading, data preprocessor,
  OptimWrapper, hooks; validation, checkpoints and grids off) against a bare PyTorch loop that
  calls the same ``alignment_losses`` on one batch kept in memory, then backward, gradient
  clipping and AdamW;
* ``run``: the cost of the run's other work: building the runner, one validation of the
  default val evaluator (GenerationMetric with kid/mmd/c2st and 10 diversity networks), cold
  (empty feature and classifier caches) and warm, split into its parts; one sample grid
  (SampleGridHook); one checkpoint save; and what they add up to over the config's budget.

Data: ``--source`` (source pairs, the Kvasir-SEG layout) and ``--target`` (target images)
default to ``../shared/data/polyp/{Kvasir-SEG,CVC-ClinicDB}`` next to the repository, read only;
when they are missing (or with ``--synthetic``), small synthetic polyp-like sets are written
to the temporary folder. Feature and classifier caches go to the temporary folder
(``ALIGNFLOW_CACHE``), so "cold" means cold.

A benchmark, not a test: it asserts nothing. Results: docs/results/performance.md.

Usage (from the repository root; each config about 3-5 minutes on 2 cores):
    python benchmarks/stage2_profile.py [--configs CFG [CFG ...]] [--iters 10] [--warmup 2]
        [--parts iteration framework run] [--threads N] [--synthetic] [--out OUT.json]
"""
import argparse
import contextlib
import functools
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CONFIGS = ['configs/stage2/stage2_clinicdb_5shot_32px.py',
                   'configs/stage2/stage2_clinicdb_5shot_64px.py']
SHARED = REPO.parent / 'shared' / 'data' / 'polyp'
NEVER = 10**9  # an interval that is never reached
PARTS = ('iteration', 'framework', 'run')
REWARD_LOSSES = ('loss_reward', 'loss_hf', 'loss_diversity')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', nargs='+', default=DEFAULT_CONFIGS)
    parser.add_argument('--iters', type=int, default=10, help='timed iterations per side')
    parser.add_argument('--warmup', type=int, default=2,
                        help='discarded iterations before each timed run (at least 1)')
    parser.add_argument('--parts', nargs='+', choices=PARTS, default=list(PARTS))
    parser.add_argument('--source', type=Path, default=SHARED / 'Kvasir-SEG',
                        help='source pairs (<root>/images, <root>/masks), read only')
    parser.add_argument('--target', type=Path, default=SHARED / 'CVC-ClinicDB',
                        help='target images (<root>/images), read only')
    parser.add_argument('--synthetic', action='store_true',
                        help='write small synthetic source pairs and target images instead')
    parser.add_argument('--threads', type=int, help='torch intra-op threads (default: torch\'s)')
    parser.add_argument('--iteration-seconds', type=float,
                        help='framework iteration time for the run total when --parts has no '
                        'iteration or framework (e.g. from an earlier invocation)')
    parser.add_argument('--out', type=Path, help='also write the results to this JSON file')
    args = parser.parse_args()
    if args.warmup < 1 or args.iters < 2:
        parser.error('need --warmup >= 1 and --iters >= 2')
    return args


def cpu_model() -> str:
    """The CPU model as lscpu (else /proc/cpuinfo) names it."""
    try:
        out = subprocess.run(['lscpu'], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith('Model name:'):
                return line.split(':', 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


# --------------------------------------------------------------------------- data
def write_synthetic(root: Path, count_source: int = 80, count_target: int = 120,
                    size: int = 96) -> tuple:
    """Polyp-like pairs: a pinkish frame with a darker, redder ellipse (the mask); targets
    of another hue and brightness. Returns (source_root, target_root)."""
    import cv2
    import numpy as np
    rng = np.random.default_rng(0)
    source, target = root / 'source', root / 'target'
    for folder in (source / 'images', source / 'masks', target / 'images'):
        folder.mkdir(parents=True)
    yy, xx = np.mgrid[:size, :size]
    for what, count in (('source', count_source), ('target', count_target)):
        for i in range(count):
            cy, cx = rng.uniform(0.3, 0.7, 2) * size
            ry, rx = rng.uniform(0.1, 0.25, 2) * size
            mask = ((yy - cy) / ry)**2 + ((xx - cx) / rx)**2 <= 1
            base = (np.array([90, 110, 200]) if what == 'source' else np.array([70, 80, 160]))
            image = base + rng.normal(0, 12, (size, size, 3))
            image[mask] = image[mask] * 0.7 + np.array([20, 20, 60])
            image = np.clip(image, 0, 255).astype(np.uint8)
            folder = source if what == 'source' else target
            cv2.imwrite(str(folder / 'images' / f'{what}{i:04d}.png'), image)
            if what == 'source':
                cv2.imwrite(str(folder / 'masks' / f'{what}{i:04d}.png'),
                            mask.astype(np.uint8) * 255)
    return source, target


# --------------------------------------------------------------------------- timers
class Timers:
    """Wall-clock self times by name: a section's time less that of sections nested in it."""

    def __init__(self):
        self.totals = defaultdict(float)
        self.counts = defaultdict(int)
        self._stack = []  # [name, start, time of nested sections]
        self.phase = None  # 'forward' / 'backward' while an instrumented step runs

    @contextlib.contextmanager
    def section(self, name: str):
        frame = [name, time.perf_counter(), 0.0]
        self._stack.append(frame)
        try:
            yield
        finally:
            elapsed = time.perf_counter() - frame[1]
            self._stack.pop()
            self.totals[frame[0]] += elapsed - frame[2]
            self.counts[frame[0]] += 1
            if self._stack:
                self._stack[-1][2] += elapsed

    def parent(self):
        return self._stack[-1][0] if self._stack else None

    def wrap(self, owner, attr: str, name):
        """Time ``owner.attr`` (an instance's method, or a class's / module's function) as
        ``name`` (a string, or a callable of the call's arguments giving one; None: not
        timed)."""
        original = getattr(owner, attr)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            label = name(*args, **kwargs) if callable(name) else name
            if label is None:
                return original(*args, **kwargs)
            with self.section(label):
                return original(*args, **kwargs)

        setattr(owner, attr, timed)
        return original

    def reset(self):
        self.totals.clear()
        self.counts.clear()


# --------------------------------------------------------------------------- config, runner
def stage1_checkpoint(cfg, folder: Path) -> str:
    """A stage-1 checkpoint of random weights for the config's generator."""
    import torch
    from alignflow.registry import MODELS
    torch.manual_seed(0)
    generator = MODELS.build(cfg.model.generator)
    path = folder / 'stage1_random.pth'
    torch.save(dict(state_dict=generator.state_dict()), path)
    return str(path)


def benchmark_config(path: str, args, work_dir: Path, source: Path, target: Path, parts):
    """The config as tools/train.py loads it, pointed at the data and a random stage 1, with
    validation, checkpoints and grids off during training (the run part calls them itself)."""
    from alignflow.apis import load_config
    cfg = load_config(path, work_dir=str(work_dir / 'work'))
    cfg.model.stage1_checkpoint = stage1_checkpoint(cfg, work_dir)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(source)
    cfg.reference_split.folder = str(target)
    cfg.visualizer.name = f'stage2_profile_{Path(path).stem}'
    cfg.log_level = 'WARNING'
    timed = 'iteration' in parts or 'framework' in parts
    cfg.train_cfg.max_iters = args.warmup + args.iters if timed else 1
    cfg.train_cfg.val_interval = NEVER
    cfg.train_cfg.val_begin = NEVER  # the loop also validates after its last iteration
    cfg.default_hooks.checkpoint.update(interval=NEVER, save_last=False)
    hooks = []
    for hook in cfg.custom_hooks:
        if hook['type'] == 'SampleGridHook':
            continue  # written by hand in the run part (it also fires on the last iteration)
        if hook['type'] == 'AlignmentMonitorHook':
            hook = dict(hook, validate_before_train=False)
        hooks.append(hook)
    grid_hooks = [h for h in cfg.custom_hooks if h['type'] == 'SampleGridHook']
    monitor = [h for h in cfg.custom_hooks if h['type'] == 'AlignmentMonitorHook']
    default = load_config(path)  # the run as configured, for the totals
    budget = dict(max_iters=default.train_cfg.max_iters,
                  val_interval=default.train_cfg.val_interval,
                  validate_before_train=bool(monitor and monitor[0].get(
                      'validate_before_train', True)),
                  grid_interval=grid_hooks[0]['interval'] if grid_hooks else None,
                  grid=dict(grid_hooks[0]) if grid_hooks else None,
                  checkpoint_interval=default.default_hooks.checkpoint.interval)
    cfg.custom_hooks = hooks
    return cfg, budget


def step_timer_hook():
    from mmengine.hooks import Hook

    class StepTimerHook(Hook):
        """Timestamps around every training iteration (lowest priority: after every hook)."""

        priority = 'LOWEST'

        def __init__(self):
            self.starts, self.ends = [], []
            self.batch = None  # the latest training batch, for the loops outside the runner

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            self.starts.append(time.perf_counter())
            self.batch = data_batch

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            self.ends.append(time.perf_counter())

        def per_iter(self, warmup: int):
            timed = range(max(warmup, 1), len(self.ends))
            return ([self.ends[i] - self.ends[i - 1] for i in timed],
                    [self.starts[i] - self.ends[i - 1] for i in timed])

    return StepTimerHook()


# --------------------------------------------------------------------------- iteration
def instrument_model(model, optim_wrapper, timers: Timers) -> dict:
    """Wrap the stage-2 model's own functions with timers; returns a holder that receives the
    samples of each step."""
    from alignflow.losses import PathPoints
    generator, reward = model.generator, model.reward
    captured = {}

    def step_label(*args, **kwargs):
        import torch
        if timers.phase is None:
            return None  # validation and grids: timed by their own sections
        if not torch.is_grad_enabled():
            return 'forward: sampling steps without grad'
        if timers.phase == 'backward':
            return 'backward: recomputed kept steps (checkpointing)'
        return 'forward: kept steps (with grad)'

    timers.wrap(generator.solver, 'step', step_label)
    sample = generator.sample

    def capture(*args, **kwargs):
        captured['samples'] = out = sample(*args, **kwargs)
        return out

    generator.sample = capture
    timers.wrap(generator, 'sample', lambda *a, **k: (
        'forward: solver loop' if timers.phase else None))
    timers.wrap(reward, 'embed', lambda *a, **k: (
        'reward: features (forward)' if timers.phase else None))
    timers.wrap(reward, 'distance', lambda *a, **k: (
        'reward: MMD kernel (forward)' if timers.phase else None))
    timers.wrap(reward, 'forward', lambda *a, **k: (
        'reward: rest (forward)' if timers.phase else None))
    if reward.hf_guard is not None:
        timers.wrap(reward.hf_guard, 'forward', lambda *a, **k: (
            'reward: high-frequency guard (forward)' if timers.phase else None))
    if reward.diversity_guard is not None:
        timers.wrap(reward.diversity_guard, 'forward', lambda *a, **k: (
            'diversity guard (forward)' if timers.phase else None))
        timers.wrap(reward.diversity_guard, 'prepare', lambda *a, **k: (
            'diversity guard: prepare' if timers.phase else None))
    for part in model.losses:
        label = f'loss part {type(part).__name__} (forward, own)'
        timers.wrap(part, 'forward', lambda *a, _l=label, **k: _l if timers.phase else None)

    def velocity_label(points, conditioned=True):
        if timers.phase is None or ('model', conditioned) in points._evaluated:
            return None
        return f'loss parts: trainable net v({"mask" if conditioned else "null"}) (forward)'

    def stage1_label(points, conditioned=True):
        if timers.phase is None or ('stage1', conditioned) in points._evaluated:
            return None
        return f'loss parts: stage-1 net v({"mask" if conditioned else "null"}) (no grad)'

    originals = dict(velocity=timers.wrap(PathPoints, 'velocity', velocity_label),
                     stage1_velocity=timers.wrap(PathPoints, 'stage1_velocity', stage1_label))
    timers.wrap(model, 'alignment_losses', lambda *a, **k: (
        'forward: rest (painter, batch, points)' if timers.phase else None))
    timers.wrap(optim_wrapper, '_clip_grad', lambda *a, **k: (
        'optimizer: gradient clipping' if timers.phase else None))
    captured['restore'] = lambda: [setattr(PathPoints, k, v) for k, v in originals.items()]
    return captured


def instrumented_step(model, optim_wrapper, batch, timers: Timers, captured: dict) -> float:
    """One training step of FewShotAlignment.train_step's arithmetic, every part timed; the
    backward split in three calls. Returns its wall time."""
    import torch
    start = time.perf_counter()
    timers.phase = 'forward'
    with timers.section('data preprocessor'):
        data = model.data_preprocessor(batch, True)
    losses = model.alignment_losses(data['inputs'])
    with timers.section('parse losses'):
        total, _ = model.parse_losses(losses)
    reward_total = sum(losses[k] for k in REWARD_LOSSES if k in losses)
    parts_total = sum(v for k, v in losses.items()
                      if 'loss' in k and k not in REWARD_LOSSES)
    samples = captured['samples']
    timers.phase = 'backward'
    with timers.section('backward: reward (features, kernel, guards) to the samples'):
        (grad,) = torch.autograd.grad(reward_total, samples)
    with timers.section('backward: kept steps (excl. recomputation)'):
        samples.backward(grad)
    with timers.section('backward: loss parts (trainable net, 2 evaluations)'):
        parts_total.backward()
    timers.phase = 'optim'
    with timers.section('optimizer: AdamW step'):
        optim_wrapper.step()
    with timers.section('optimizer: zero_grad'):
        optim_wrapper.zero_grad()
    timers.phase = None
    return time.perf_counter() - start


def bare_loop(model, batch, warmup: int, iters: int, lr: float, max_norm: float) -> list:
    """The same arithmetic without the framework: alignment_losses on one preprocessed batch
    kept in memory, backward, clipping, AdamW."""
    import torch
    data = model.data_preprocessor(batch, True)
    inputs = data['inputs']
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), weight_decay=0.0)
    times = []
    for i in range(warmup + iters):
        start = time.perf_counter()
        losses = model.alignment_losses(inputs)
        total = sum(v for k, v in losses.items() if 'loss' in k)
        total.backward()
        torch.nn.utils.clip_grad_norm_(params, max_norm)
        optimizer.step()
        optimizer.zero_grad()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


# --------------------------------------------------------------------------- run costs
def instrument_validation(runner, timers: Timers) -> None:
    import alignflow.evaluation.generation_metric as gm
    from alignflow.evaluation.c2st import C2ST
    from alignflow.evaluation.feature_extraction import FeatureCache

    model = runner.model
    generator = model.generator
    timers.wrap(model, 'val_step', 'val: predict, rest (preprocess, uint8, data samples)')
    timers.wrap(generator, 'sample', lambda *a, **k: (
        None if timers.phase else 'val: sampling (the generator\'s solver steps, no grad)'))
    timers.wrap(generator, 'heldout_loss', 'val: held-out flow-matching loss (val_times)')
    metric = runner.val_loop.evaluator.metrics[0]
    timers.wrap(metric, 'process', 'val: generated images\' features (process)')
    timers.wrap(metric, 'compute_metrics', 'val: compute_metrics, rest (hf, spread)')
    timers.wrap(gm, 'compute_generation_metrics', 'val: kid/mmd')
    timers.wrap(gm, 'diversity_ratios', 'val: 10 diversity networks (generated features)')

    class TimedC2ST(C2ST):
        def __init__(self, *args, **kwargs):
            with timers.section('val: C2ST classifiers (train, or load from cache)'):
                super().__init__(*args, **kwargs)

        def report(self, *args, **kwargs):
            with timers.section('val: C2ST scoring'):
                return super().report(*args, **kwargs)

    gm.C2ST = TimedC2ST

    def cache_label(cache, paths, extractor, extractor_id, size, enlarge='area', **kwargs):
        hit = (cache.root / f'{cache.key(paths, extractor_id, size, enlarge)}.npy').is_file()
        where = ('10 diversity networks' if timers.parent() and 'diversity' in timers.parent()
                 else 'kid/mmd/hf')
        return f'val: real images\' features for {where} ({"cache" if hit else "computed"})'

    timers.wrap(FeatureCache, 'get_or_compute', cache_label)


def run_costs(runner, budget: dict, timers: Timers) -> dict:
    """Validation (cold, warm, new run with disk caches), a sample grid, a checkpoint."""
    from alignflow.engine.hooks import SampleGridHook
    from mmengine.hooks import CheckpointHook
    results = {}
    instrument_validation(runner, timers)
    val_loop = runner.val_loop
    for name in ('cold', 'warm'):
        timers.reset()
        start = time.perf_counter()
        val_loop.run()
        wall = time.perf_counter() - start
        parts = dict(timers.totals)
        parts['val: loop, data loading, rest'] = wall - sum(parts.values())
        results[f'validation_{name}'] = dict(seconds=wall, parts=parts)
        print(f'  validation ({name}): {wall:.1f} s')
    # A new run on the same data: the C2ST classifiers come from the disk cache.
    metric = val_loop.evaluator.metrics[0]
    metric._c2st.clear()
    timers.reset()
    start = time.perf_counter()
    val_loop.run()
    wall = time.perf_counter() - start
    parts = dict(timers.totals)
    parts['val: loop, data loading, rest'] = wall - sum(parts.values())
    results['validation_new_run'] = dict(seconds=wall, parts=parts)
    print(f'  validation (next run, classifiers from the disk cache): {wall:.1f} s')

    grid = budget['grid'] or dict(type='SampleGridHook', interval=25, num_samples=8)
    hook = SampleGridHook(**{k: v for k, v in grid.items() if k != 'type'})
    start = time.perf_counter()
    hook.before_train(runner)
    grid_setup = time.perf_counter() - start
    grid_times = []
    for _ in range(2):
        start = time.perf_counter()
        hook.write_grid(runner)
        grid_times.append(time.perf_counter() - start)
    results['grid'] = dict(setup_seconds=grid_setup, seconds=min(grid_times),
                           all_seconds=grid_times)
    print(f'  sample grid: {min(grid_times):.2f} s (setup {grid_setup:.2f} s)')

    ckpt_hook = next(h for h in runner.hooks if isinstance(h, CheckpointHook))
    ckpt_times = []
    for _ in range(2):
        start = time.perf_counter()
        ckpt_hook._save_checkpoint(runner)
        ckpt_times.append(time.perf_counter() - start)
    saved = sorted(Path(runner.work_dir).glob('iter_*.pth'), key=lambda p: p.stat().st_mtime)
    results['checkpoint'] = dict(seconds=min(ckpt_times), all_seconds=ckpt_times,
                                 bytes=saved[-1].stat().st_size if saved else None)
    print(f'  checkpoint: {min(ckpt_times):.2f} s')
    return results


def run_totals(budget: dict, iteration_s: float, run: dict, setup_s: float) -> dict:
    """The default run's time: setup + iterations + validations + grids + checkpoints."""
    iters = budget['max_iters']
    vals = iters // budget['val_interval'] + (1 if budget['validate_before_train'] else 0)
    grids = iters // budget['grid_interval'] if budget['grid_interval'] else 0
    if budget['grid_interval'] and iters % budget['grid_interval']:
        grids += 1  # the last iteration writes one too
    ckpts = iters // budget['checkpoint_interval']
    if iters % budget['checkpoint_interval']:
        ckpts += 1  # save_last
    rows = {
        'setup (build the runner)': setup_s,
        f'training: {iters} iterations': iters * iteration_s,
        f'validation: {vals} (1 cold, {vals - 1} warm)': run['validation_cold']['seconds'] +
        (vals - 1) * run['validation_warm']['seconds'],
        f'sample grids: {grids}': grids * run['grid']['seconds'] + run['grid']['setup_seconds'],
        f'checkpoints: {ckpts}': ckpts * run['checkpoint']['seconds'],
    }
    return dict(rows=rows, total=sum(rows.values()), validations=vals, grids=grids,
                checkpoints=ckpts)


# --------------------------------------------------------------------------- one config
def measure(path: str, args, work_dir: Path, source: Path, target: Path) -> dict:
    from alignflow.apis import build_runner
    cfg, budget = benchmark_config(path, args, work_dir, source, target, args.parts)
    start = time.perf_counter()
    runner = build_runner(cfg)
    setup_s = time.perf_counter() - start
    timer_hook = step_timer_hook()
    runner.register_hook(timer_hook)
    start = time.perf_counter()
    runner.train()  # also builds the optimizer wrapper (and times the framework)
    train_s = time.perf_counter() - start
    model, optim_wrapper = runner.model, runner.optim_wrapper
    size = tuple(model.references.shape[-2:])
    row = dict(config=path, image_size=list(size), batch=cfg.train_dataloader.batch_size,
               num_steps=model.num_steps, grad_last_k=model.grad_last_k,
               val_steps=model.generator.solver.num_steps,
               trainable_params=sum(p.numel() for p in model.parameters() if p.requires_grad),
               generator_params=sum(p.numel() for p in model.generator.parameters()),
               setup_seconds=setup_s, budget=budget)
    print(f'{path}: {size[0]}x{size[1]}, runner built in {setup_s:.1f} s, '
          f'{cfg.train_cfg.max_iters} framework iterations in {train_s:.1f} s')
    batch = timer_hook.batch
    if 'iteration' in args.parts or 'framework' in args.parts:
        times, data = timer_hook.per_iter(args.warmup)
        row['framework'] = dict(median_s=statistics.median(times),
                                data_wait_median_s=statistics.median(data), times=times)
    if 'framework' in args.parts:
        lr = optim_wrapper.optimizer.param_groups[0]['lr']
        max_norm = cfg.optim_wrapper.clip_grad.max_norm
        bare = bare_loop(model, batch, args.warmup, args.iters, lr, max_norm)
        row['bare'] = dict(median_s=statistics.median(bare), times=bare)
        row['framework_over_bare'] = row['framework']['median_s'] / row['bare']['median_s']
        print(f'  framework {row["framework"]["median_s"]:.3f} s, bare '
              f'{row["bare"]["median_s"]:.3f} s an iteration')
    timers = Timers()
    if 'iteration' in args.parts:
        captured = instrument_model(model, optim_wrapper, timers)
        for _ in range(args.warmup):
            instrumented_step(model, optim_wrapper, batch, timers, captured)
        per_step = []
        totals = []
        for _ in range(args.iters):
            timers.reset()
            per_step.append(instrumented_step(model, optim_wrapper, batch, timers, captured))
            totals.append(dict(timers.totals))
        captured['restore']()
        names = sorted({n for t in totals for n in t})
        medians = {n: statistics.median(t.get(n, 0.0) for t in totals) for n in names}
        row['iteration'] = dict(median_s=statistics.median(per_step), parts=medians,
                                counts={n: timers.counts[n] for n in names})
        print(f'  instrumented iteration {row["iteration"]["median_s"]:.3f} s')
    if 'run' in args.parts:
        timers.phase = None
        run = run_costs(runner, budget, timers)
        row['run'] = run
        iteration_s = (row.get('framework') or {}).get('median_s') or args.iteration_seconds
        if iteration_s:
            row['run_total'] = run_totals(budget, iteration_s, run, setup_s)
    del runner
    gc.collect()
    return row


# --------------------------------------------------------------------------- tables
GROUPS = (  # (group, prefix of the part names)
    ('sampling', 'forward: sampling steps without grad'),
    ('kept steps', 'forward: kept steps'),
    ('recomputation', 'backward: recomputed'),
)


def iteration_table(row: dict) -> str:
    it = row['iteration']
    total = sum(it['parts'].values())
    lines = ['| part | ms | share |', '|---|---:|---:|']
    for name, seconds in sorted(it['parts'].items(), key=lambda kv: -kv[1]):
        lines.append(f'| {name} | {1000 * seconds:.1f} | {100 * seconds / total:.1f}% |')
    lines.append(f'| **sum of medians** (median iteration {1000 * it["median_s"]:.0f} ms) '
                 f'| {1000 * total:.0f} | 100% |')
    return '\n'.join(lines)


def validation_table(row: dict) -> str:
    run = row['run']
    keys = ('validation_cold', 'validation_warm', 'validation_new_run')
    names = sorted({n for k in keys for n in run[k]['parts']},
                   key=lambda n: -run['validation_cold']['parts'].get(n, 0.0))
    lines = ['| part | cold (s) | warm (s) | next run (s) |', '|---|---:|---:|---:|']
    for name in names:
        cells = ' | '.join(f'{run[k]["parts"].get(name, 0.0):.2f}' for k in keys)
        lines.append(f'| {name} | {cells} |')
    cells = ' | '.join(f'**{run[k]["seconds"]:.1f}**' for k in keys)
    lines.append(f'| **validation** | {cells} |')
    return '\n'.join(lines)


def run_table(row: dict) -> str:
    totals = row['run_total']
    lines = ['| part of the default run | s | share |', '|---|---:|---:|']
    for name, seconds in totals['rows'].items():
        lines.append(f'| {name} | {seconds:.0f} | {100 * seconds / totals["total"]:.1f}% |')
    lines.append(f'| **total** | {totals["total"]:.0f} ({totals["total"] / 60:.1f} min) | 100% |')
    return '\n'.join(lines)


def main():
    args = parse_args()
    tmp = Path(tempfile.mkdtemp(prefix='stage2_profile_'))
    os.environ['ALIGNFLOW_CACHE'] = str(tmp / 'cache')  # cold caches, not the user's
    import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
    import torch
    from alignflow.utils import register_all_modules
    register_all_modules()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.synthetic or not (args.source / 'masks').is_dir() or \
            not (args.target / 'images').is_dir():
        source, target = write_synthetic(tmp / 'data')
        data = 'synthetic'
    else:
        source, target, data = args.source, args.target, 'shared'
    load_before = os.getloadavg()[0]
    cpu = cpu_model()
    print(f'{cpu}, {os.cpu_count()} CPUs, torch {torch.__version__} with '
          f'{torch.get_num_threads()} threads, 1-min load {load_before:.2f}; data: {source} -> '
          f'{target}')
    rows = []
    try:
        for path in args.configs:
            work = tmp / Path(path).stem
            work.mkdir()
            rows.append(measure(path, args, work, source, target))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for row in rows:
        height, width = row['image_size']
        print(f'\n## {Path(row["config"]).stem}: {height}x{width}, batch {row["batch"]}, '
              f'{row["num_steps"]} solver steps, {row["grad_last_k"]} kept; '
              f'{row["trainable_params"] / 1e6:.2f}M of {row["generator_params"] / 1e6:.2f}M '
              f'parameters trained')
        if 'iteration' in row:
            print(iteration_table(row))
        if 'bare' in row:
            print(f'\nframework {row["framework"]["median_s"]:.3f} s (data wait '
                  f'{row["framework"]["data_wait_median_s"] * 1000:.1f} ms), bare '
                  f'{row["bare"]["median_s"]:.3f} s: framework/bare '
                  f'{row["framework_over_bare"]:.3f}')
        if 'run' in row:
            print()
            print(validation_table(row))
            run = row['run']
            print(f'\nsample grid {run["grid"]["seconds"]:.2f} s, checkpoint '
                  f'{run["checkpoint"]["seconds"]:.2f} s ({run["checkpoint"]["bytes"]} bytes)')
        if 'run_total' in row:
            print()
            print(run_table(row))
    print(f'\n1-min load at the end {os.getloadavg()[0]:.2f} (other jobs skew the figures); '
          f'stage-1 weights random (timing does not depend on them)')
    if args.out:
        args.out.write_text(json.dumps(dict(
            command=' '.join(['python', *sys.argv]), cpu=cpu, cpus=os.cpu_count(),
            torch=torch.__version__, threads=torch.get_num_threads(), data=data,
            source=str(source), target=str(target), iters=args.iters, warmup=args.warmup,
            load_before=load_before, load_after=os.getloadavg()[0], rows=rows),
            indent=2, default=str) + '\n')


if __name__ == '__main__':
    main()
