"""What the real + synthetic wrapper costs a segmentor's training: images/s of
``configs/segmentation/unet_polyp_64.py`` on the same 200 pairs, once as one real dataset and
once as ``RealSyntheticMix`` (100 real + 100 "synthetic" pairs at ratio 1, through
``synthetic_mix`` as a user sets it), in alternating order; the data pipeline alone (the
dataloader iterated without a model); and what ``dataset[i]`` costs without transforms, the
wrapper's whole per-sample work (a 2-core machine's training throughput varies by more than
the 2% one would like to resolve).

Both arms read the same files (the shared Kvasir-SEG subset, as symlinks; the synthetic half
is a folder with a ``synthesis.json``), so the difference is the wrapper. A benchmark, not a
test; results in docs/notes/study_log.md.

    python benchmarks/seg_mix_throughput.py [--data ../shared/data/polyp/Kvasir-SEG] \
        [--iters 160] [--repeats 3] [--access-only]
"""
import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from mmengine.hooks import Hook

from alignflow.apis import build_runner, load_config
from alignflow.registry import HOOKS

CONFIG = 'configs/segmentation/unet_polyp_64.py'
WARMUP = 10


@HOOKS.register_module()
class TimedIterationsHook(Hook):
    """Wall time of the iterations after the first ``WARMUP`` (dataloader workers started,
    caches warm)."""

    def __init__(self):
        self.start = None
        self.seconds = None

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == WARMUP:
            self.start = time.perf_counter()
        elif runner.iter + 1 == runner.max_iters:
            self.seconds = time.perf_counter() - self.start


def link_pairs(folder: Path, pairs) -> Path:
    for sub in ('images', 'masks'):
        (folder / sub).mkdir(parents=True)
    for image, mask in pairs:
        os.symlink(image, folder / 'images' / image.name)
        os.symlink(mask, folder / 'masks' / mask.name)
    return folder


def throughput(root: Path, arm: str, iters: int, real: Path, synthetic: Path, whole: Path):
    """(training images/s, data-pipeline images/s) of one arm."""
    cfg = load_config(CONFIG, work_dir=str(root / f'work_{arm}_{time.time_ns()}'))
    cfg.train_dataloader.dataset.data_root = str(whole if arm == 'real' else real)
    if arm == 'mix':
        cfg.synthetic_mix = dict(data_root=str(synthetic), synthetic_ratio=1.0)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=iters + 1)
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=iters + 1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=iters + 1)
    cfg.custom_hooks = [dict(type='TimedIterationsHook')]
    cfg.visualizer.name = f'visualizer_{arm}_{time.time_ns()}'
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    runner = build_runner(cfg)
    runner.train()
    timer = next(h for h in runner.hooks if isinstance(h, TimedIterationsHook))
    batch = cfg.train_dataloader.batch_size
    train_rate = batch * (iters - WARMUP) / timer.seconds
    loader = runner.build_dataloader(cfg.train_dataloader)
    batches = iter(loader)
    for _ in range(WARMUP):
        next(batches)
    start = time.perf_counter()
    for _ in range(iters - WARMUP):
        next(batches)
    data_rate = batch * (iters - WARMUP) / (time.perf_counter() - start)
    assert len(runner.train_dataloader.dataset) == 200
    return train_rate, data_rate


def access_cost(real: Path, synthetic: Path, whole: Path, rounds: int = 20):
    """Seconds per item of ``dataset[i]`` without transforms, one real dataset against the
    mix: what the wrapper adds per sample, small enough to be lost in a training's noise."""
    from alignflow.datasets import PolypDataset, RealSyntheticMix
    datasets = dict(
        real=PolypDataset(data_root=str(whole), pipeline=[]),
        mix=RealSyntheticMix(real=dict(type='PolypDataset', data_root=str(real), pipeline=[]),
                             synthetic=dict(type='SyntheticSegDataset',
                                            data_root=str(synthetic), pipeline=[])))
    seconds = {}
    for name, dataset in datasets.items():
        start = time.perf_counter()
        for _ in range(rounds):
            for i in range(len(dataset)):
                dataset[i]
        seconds[name] = (time.perf_counter() - start) / (rounds * len(dataset))
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default='../shared/data/polyp/Kvasir-SEG')
    parser.add_argument('--iters', type=int, default=160)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--access-only', action='store_true',
                        help='measure only the per-item access cost (seconds, no training)')
    args = parser.parse_args()
    cpu = next((line.split(':', 1)[1].strip() for line in open('/proc/cpuinfo')
                if line.startswith('model name')), platform.processor())
    print(f'{os.cpu_count()} cores, {cpu}')
    data = Path(args.data).resolve()
    pairs = [(image, data / 'masks' / f'{image.stem}.png')
             for image in sorted((data / 'images').iterdir())][:200]
    rates = dict(real=[], mix=[])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ['ALIGNFLOW_CACHE'] = str(root / 'cache')
        whole = link_pairs(root / 'whole', pairs)
        real = link_pairs(root / 'real', pairs[:100])
        synthetic = link_pairs(root / 'synthetic', pairs[100:])
        (synthetic / 'synthesis.json').write_text(json.dumps(
            dict(note='benchmark: links to real pairs, not synthesised')))
        access = access_cost(real, synthetic, whole)
        added = (access['mix'] - access['real']) * 1e6
        print(f'dataset[i] without transforms: real {access["real"] * 1e6:.1f} us, mix '
              f'{access["mix"] * 1e6:.1f} us per item (+{added:.1f} us)', flush=True)
        if args.access_only:
            return
        for repeat in range(args.repeats):
            for arm in (('real', 'mix') if repeat % 2 == 0 else ('mix', 'real')):
                rates[arm].append(throughput(root, arm, args.iters, real, synthetic, whole))
                print(f'repeat {repeat} {arm}: training {rates[arm][-1][0]:.1f} images/s, data '
                      f'pipeline {rates[arm][-1][1]:.1f} images/s', flush=True)
    print(f'{CONFIG}, batch 16, {args.iters - WARMUP} timed iterations, {args.repeats} '
          f'repeats (median, min-max):')
    for what, index in (('training', 0), ('data pipeline', 1)):
        medians = {}
        for arm in ('real', 'mix'):
            values = [r[index] for r in rates[arm]]
            medians[arm] = statistics.median(values)
            print(f'  {what:13s} {arm:4s}: {medians[arm]:7.1f} images/s '
                  f'({min(values):.1f}-{max(values):.1f})')
        print(f'  {what:13s} mix / real: {medians["mix"] / medians["real"]:.3f}')


if __name__ == '__main__':
    main()
