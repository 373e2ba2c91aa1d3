"""Stage-1 training step on CPU: the mmengine Runner against a bare PyTorch loop.

For every config this measures

* framework: images/s of ``runner.train()`` on the Runner built from the config (dataloader
  workers, data preprocessor, OptimWrapper with gradient clipping, parameter schedulers,
  EMAHook, logger), with validation, checkpoints and sample grids switched off;
* bare: images/s of the same network, batch size, image size, optimizer and loss in a plain
  PyTorch loop on tensors pre-made in memory (timed in two halves, before and after the
  framework run, so that drift of the machine hits both sides);
* their ratio, the share of the framework's iteration time spent waiting for data, and the
  achieved FLOP/s of the step (FLOPs of one forward+backward counted by
  ``torch.utils.flop_counter.FlopCounterMode``) against the measured FLOP/s of a 2048x2048
  fp32 matmul on this machine.

Throughputs come from the median per-iteration time, warm-up iterations discarded. A
benchmark, not a test: it asserts nothing. Results are recorded in docs/notes/study_log.md.

Usage (from the repository root):
    python benchmarks/train_step.py [--configs CFG [CFG ...]] [--iters 60] [--warmup 10]
        [--polyp-root ../shared/data/polyp/Kvasir-SEG] [--threads N]
        [--num-workers N] [--no-ema] [--json OUT]
"""
import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
import torch
from alignflow.registry import MODELS
from alignflow.utils import register_all_modules
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from torch.utils.flop_counter import FlopCounterMode

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CONFIGS = ['configs/stage1/stage1_toy_32px.py', 'configs/stage1/stage1_polyp_64px.py']
DEFAULT_POLYP_ROOT = REPO.parent / 'shared' / 'data' / 'polyp' / 'Kvasir-SEG'
NEVER = 10**9  # an interval that is never reached


class SkipConfig(Exception):
    """A config that cannot run here (e.g. its dataset is missing)."""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', nargs='+', default=DEFAULT_CONFIGS)
    parser.add_argument('--iters', type=int, default=60, help='timed iterations per side')
    parser.add_argument('--warmup', type=int, default=10,
                        help='discarded iterations before each timed run (at least 1)')
    parser.add_argument('--polyp-root', type=Path, default=DEFAULT_POLYP_ROOT,
                        help='data_root of configs that read a dataset from disk '
                        '(default: ../shared/data/polyp/Kvasir-SEG next to the repository)')
    parser.add_argument('--threads', type=int, default=torch.get_num_threads(),
                        help='torch intra-op threads for both sides (default: %(default)s)')
    parser.add_argument('--num-workers', type=int,
                        help="dataloader workers of the framework run (default: the config's)")
    parser.add_argument('--no-ema', action='store_true',
                        help='drop EMAHook from the framework run (kept by default: it is '
                        'part of the real training step)')
    parser.add_argument('--json', type=Path, help='also write the results to this file')
    args = parser.parse_args()
    if args.warmup < 1 or args.iters < 2:
        parser.error('need --warmup >= 1 and --iters >= 2')
    return args


def matmul_gflops(size: int = 2048, repeats: int = 10) -> float:
    """Best-of-``repeats`` FLOP/s (in GFLOP/s) of a ``size`` x ``size`` fp32 matmul."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def benchmark_config(path: str, args, work_dir: str) -> Config:
    """The config with its run cut down to the training step; raises SkipConfig when its
    dataset folder is missing."""
    cfg = Config.fromfile(path)
    dataset = cfg.train_dataloader.dataset
    if 'data_root' in dataset:
        if not args.polyp_root.is_dir():
            raise SkipConfig(f'no dataset at {args.polyp_root} (set --polyp-root)')
        dataset.data_root = str(args.polyp_root)
    if args.num_workers is not None:
        cfg.train_dataloader.update(num_workers=args.num_workers,
                                    persistent_workers=args.num_workers > 0)
    cfg.work_dir = work_dir
    cfg.visualizer.name = Path(work_dir).name  # a fresh instance per run, saving to work_dir
    cfg.launcher = 'none'
    cfg.log_level = 'WARNING'
    cfg.train_cfg.max_iters = args.warmup + args.iters
    cfg.train_cfg.val_interval = NEVER
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint.update(interval=NEVER, save_last=False)
    cfg.default_hooks.logger.interval = NEVER
    dropped = {'SampleGridHook'} | ({'EMAHook'} if args.no_ema else set())
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', []) if h['type'] not in dropped]
    return cfg


def image_size(cfg: Config) -> tuple:
    """(H, W) set by the Resize of the training pipeline."""
    resize = next(t for t in cfg.train_dataloader.dataset.pipeline if t['type'] == 'Resize')
    width, height = resize['scale']
    return height, width


class StepTimerHook(Hook):
    """Timestamps around every training iteration. With the lowest priority its
    ``after_train_iter`` stamp comes after every other hook (EMA, logger, ...)."""

    priority = 'LOWEST'

    def __init__(self):
        self.starts, self.ends, self.batch_shapes, self.threads = [], [], set(), set()

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.starts.append(time.perf_counter())
        inputs = data_batch['inputs']
        self.batch_shapes.add((len(inputs), *inputs[0].shape[-2:]))
        self.threads.add(torch.get_num_threads())

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.ends.append(time.perf_counter())

    def per_iter(self, warmup: int):
        """(iteration, data, step) times after ``warmup``: an iteration runs from the end of
        the previous one to its own end; its data time is the part before the step starts."""
        timed = range(warmup, len(self.ends))
        times = [self.ends[i] - self.ends[i - 1] for i in timed]
        data = [self.starts[i] - self.ends[i - 1] for i in timed]
        steps = [self.ends[i] - self.starts[i] for i in timed]
        return times, data, steps


def run_framework(cfg: Config) -> StepTimerHook:
    runner = Runner.from_cfg(cfg)
    timer = StepTimerHook()
    runner.register_hook(timer)
    runner.train()
    del runner  # stops the persistent dataloader workers before the next measurement
    gc.collect()
    return timer


class BareLoop:
    """The config's network, optimizer and loss on pre-made tensors, with no framework."""

    def __init__(self, cfg: Config):
        torch.manual_seed(0)
        self.model = MODELS.build(cfg.model).train()
        batch = cfg.train_dataloader.batch_size
        height, width = image_size(cfg)
        self.inputs = dict(
            img=torch.rand(batch, self.model.img_channels, height, width) * 2 - 1,
            mask=(torch.rand(batch, self.model.cond_channels, height, width) > 0.5).float() * 2
            - 1)
        optim_cfg = dict(cfg.optim_wrapper.optimizer)
        self.optimizer = getattr(torch.optim, optim_cfg.pop('type'))(self.model.parameters(),
                                                                     **optim_cfg)
        self.max_norm = cfg.optim_wrapper.clip_grad.max_norm

    def step(self):
        loss = self.model.loss(self.inputs)['loss_fm']
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.max_norm)
        self.optimizer.step()
        self.optimizer.zero_grad()

    def run(self, warmup: int, iters: int) -> list:
        """Per-iteration times of ``iters`` steps after ``warmup`` untimed ones."""
        for _ in range(warmup):
            self.step()
        times = []
        for _ in range(iters):
            start = time.perf_counter()
            self.step()
            times.append(time.perf_counter() - start)
        return times

    def step_flops(self) -> int:
        """FLOPs of one forward+backward of the loss (matmuls, convolutions, attention)."""
        with FlopCounterMode(display=False) as counter:
            self.model.loss(self.inputs)['loss_fm'].backward()
        self.optimizer.zero_grad()
        return counter.get_total_flops()


def measure(path: str, args, peak_gflops: float, work_dir: str) -> dict:
    cfg = benchmark_config(path, args, work_dir)
    bare = BareLoop(cfg)
    flops = bare.step_flops()
    bare_before = bare.run(args.warmup, args.iters // 2)
    timer = run_framework(cfg)
    bare_after = bare.run(args.warmup, args.iters - args.iters // 2)
    bare_times = bare_before + bare_after
    fw_times, data_times, step_times = timer.per_iter(args.warmup)

    batch = cfg.train_dataloader.batch_size
    height, width = image_size(cfg)
    if timer.batch_shapes != {(batch, height, width)} or timer.threads != {args.threads}:
        print(f'warning: {path}: framework batches {timer.batch_shapes} with threads '
              f'{timer.threads}, bare loop ({batch}, {height}, {width}) with {args.threads}')
    fw_time, bare_time = statistics.median(fw_times), statistics.median(bare_times)
    achieved = flops / fw_time / 1e9
    return dict(
        config=path, batch=batch, image_size=[height, width],
        params=sum(p.numel() for p in bare.model.parameters()),
        num_workers=cfg.train_dataloader.num_workers,
        ema=any(h['type'] == 'EMAHook' for h in cfg.custom_hooks),
        framework_img_s=batch / fw_time, bare_img_s=batch / bare_time,
        ratio=bare_time / fw_time, overhead_pct=100 * (fw_time / bare_time - 1),
        data_time_frac=sum(data_times) / sum(fw_times),
        framework_median_s=fw_time, framework_step_median_s=statistics.median(step_times),
        bare_median_s=bare_time, bare_median_before_after_s=[
            statistics.median(bare_before), statistics.median(bare_after)],
        framework_mean_img_s=batch * len(fw_times) / sum(fw_times),
        bare_mean_img_s=batch * len(bare_times) / sum(bare_times),
        gflop_per_step=flops / 1e9, achieved_gflops=achieved,
        bare_achieved_gflops=flops / bare_time / 1e9, matmul_gflops=peak_gflops,
        pct_of_peak=100 * achieved / peak_gflops)


def markdown_table(rows: list) -> str:
    lines = [
        '| config | batch | image | workers | params | framework img/s | bare img/s '
        '| framework/bare | overhead | data_time/time | GFLOP/step | achieved GFLOP/s '
        '| matmul GFLOP/s | % of peak |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for r in rows:
        height, width = r['image_size']
        lines.append(
            f'| {Path(r["config"]).stem} | {r["batch"]} | {height}x{width} | '
            f'{r["num_workers"]} | {r["params"] / 1e6:.2f}M | {r["framework_img_s"]:.1f} | '
            f'{r["bare_img_s"]:.1f} | {r["ratio"]:.3f} | {r["overhead_pct"]:+.1f}% | '
            f'{r["data_time_frac"]:.3f} | {r["gflop_per_step"]:.2f} | '
            f'{r["achieved_gflops"]:.1f} | {r["matmul_gflops"]:.0f} | '
            f'{r["pct_of_peak"]:.1f}% |')
    return '\n'.join(lines)


def main():
    args = parse_args()
    load_before = os.getloadavg()[0]
    register_all_modules()
    torch.set_num_threads(args.threads)
    peak = matmul_gflops()
    print(f'torch {torch.__version__}, {args.threads} threads, {os.cpu_count()} CPUs, '
          f'1-min load {load_before:.2f}; 2048x2048 fp32 matmul: {peak:.1f} GFLOP/s '
          '(best of 10)')
    rows, skipped = [], {}
    for path in args.configs:
        with tempfile.TemporaryDirectory(prefix='train_step_bench_') as work_dir:
            try:
                rows.append(measure(path, args, peak, work_dir))
            except SkipConfig as error:
                skipped[path] = str(error)
                print(f'skipping {path}: {error}')
    print(markdown_table(rows))
    print(f'{args.iters} timed iterations per side after {args.warmup} warm-up; '
          f'EMAHook {"dropped" if args.no_ema else "kept"}; goal: overhead <= 5%; '
          f'1-min load at the end {os.getloadavg()[0]:.2f} (other jobs skew the figures)')
    if args.json:
        args.json.write_text(json.dumps(dict(
            command=' '.join([Path(sys.executable).name, *sys.argv]), torch=torch.__version__,
            threads=args.threads, cpus=os.cpu_count(), iters=args.iters, warmup=args.warmup,
            load_before=load_before, load_after=os.getloadavg()[0], matmul_gflops=peak,
            rows=rows, skipped=skipped), indent=2) + '\n')


if __name__ == '__main__':
    main()
