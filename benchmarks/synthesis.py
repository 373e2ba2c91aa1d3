"""Synthesis speed and quality against the image solver and its steps, the tool's overhead over
the bare network, and its peak memory against the number of pairs.

For each solver (Euler, midpoint, Heun, RK4) and number of network evaluations (NFE), the
image generator paints the same ``--num`` pairs (the same masks, the same noise) with
:func:`alignflow.apis.synthesize.synthesize` into a temporary folder; reported are pairs/s and
the distance (KID and MMD in the random-CNN space, which the reward does not use) of the
painted images to those of 100-step Euler and to the real target images. The overhead of the
tool is its time against ``NFE x ceil(num / batch)`` bare forwards of the velocity network at
the same batch; peak memory (max RSS of a child process) is measured for two set sizes.

A benchmark, not a test: it asserts nothing. Results go to docs/notes/study_log.md.

    python benchmarks/synthesis.py IMAGE_CONFIG IMAGE_CKPT --source-masks SOURCE \\
        --real TARGET_IMAGES [--num 200] [--batch-size 16] [--memory-num 100 2000]
        [--overhead-only]
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.apis.generators import load_image_generator
from alignflow.apis.synthesize import DatasetMasks, SynthesisSettings, synthesize
from alignflow.datasets.references import list_images
from alignflow.evaluation import FeatureCache, build_feature_space, compute_generation_metrics
from alignflow.evaluation.feature_extraction import extract_features
from alignflow.registry import SOLVERS
from alignflow.utils import register_all_modules
from mmengine.config import Config

EVALS_PER_STEP = dict(EulerSolver=1, MidpointSolver=2, HeunSolver=2, RK4Solver=4)
SETTINGS = [('EulerSolver', 4), ('EulerSolver', 8), ('EulerSolver', 16), ('EulerSolver', 32),
            ('MidpointSolver', 2), ('MidpointSolver', 4), ('MidpointSolver', 8),
            ('HeunSolver', 2), ('HeunSolver', 4), ('HeunSolver', 8),
            ('RK4Solver', 1), ('RK4Solver', 2), ('RK4Solver', 4)]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--source-masks', required=True)
    parser.add_argument('--real', required=True, help='real target images')
    parser.add_argument('--num', type=int, default=200)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--memory-num', nargs='*', type=int, default=[100, 2000])
    parser.add_argument('--overhead-only', action='store_true',
                        help='measure only the overhead over bare forwards (Euler 8, --num pairs)')
    parser.add_argument('--json')
    parser.add_argument('--child', nargs=2, help=argparse.SUPPRESS)  # out_dir num
    return parser.parse_args(argv)


def load(args):
    register_all_modules()
    cfg = Config.fromfile(args.config)
    size = (cfg.img_size, cfg.img_size)
    return load_image_generator(cfg.model, args.checkpoint), size


def paint_set(generator, size, args, solver, steps, out_dir):
    generator.solver = SOLVERS.build(dict(type=solver, num_steps=steps))
    settings = SynthesisSettings(num=args.num, seed=0, size=size, batch_size=args.batch_size)
    start = time.perf_counter()
    synthesize(out_dir, generator, DatasetMasks(args.source_masks, seed=0), settings,
               dict(benchmark=True), overwrite=True, progress=False)
    return time.perf_counter() - start


@torch.no_grad()
def bare_forward_time(generator, size, args, nfe):
    batches = -(-args.num // args.batch_size)
    x = torch.randn(args.batch_size, 3, *size)
    cond = torch.ones(args.batch_size, 1, *size)
    t = torch.full((args.batch_size, ), 0.5)
    generator.velocity_net(x, t, cond)  # warm-up
    start = time.perf_counter()
    for _ in range(batches * nfe):
        generator.velocity_net(x, t, cond)
    return time.perf_counter() - start


def child(args):
    """Synthesize ``num`` pairs into ``out_dir`` and print the peak RSS (MiB)."""
    generator, size = load(args)
    args.num = int(args.child[1])
    paint_set(generator, size, args, 'EulerSolver', 8, args.child[0])
    print(json.dumps(dict(max_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))


def main():
    args = parse_args()
    if args.child:
        return child(args)
    torch.manual_seed(0)
    generator, size = load(args)
    cpu = next((line.split(':', 1)[1].strip() for line in open('/proc/cpuinfo')
                if line.startswith('model name')), platform.processor())
    print(f'{os.cpu_count()} cores ({cpu}), torch threads {torch.get_num_threads()}; '
          f'{args.num} pairs at {size[0]}x{size[1]}, batch {args.batch_size}')
    if args.overhead_only:
        with tempfile.TemporaryDirectory() as tmp:
            seconds = paint_set(generator, size, args, 'EulerSolver', 8, tmp)
        bare = bare_forward_time(generator, size, args, 8)
        print(f'tool overhead, Euler 8 steps, {args.num} pairs: {seconds:.2f} s against '
              f'{bare:.2f} s of bare forwards ({100 * (seconds / bare - 1):+.1f}%)')
        return
    extractor, identity = build_feature_space('randomconv')
    real = FeatureCache().get_or_compute(list_images(args.real, 'real folder'), extractor,
                                         identity, size, progress=False)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        reference_dir = os.path.join(tmp, 'euler100')
        seconds = paint_set(generator, size, args, 'EulerSolver', 100, reference_dir)
        reference = extract_features(extractor, list_images(reference_dir), size,
                                     progress=False)
        rows.append(dict(solver='EulerSolver', steps=100, nfe=100, seconds=seconds,
                         to_euler100=dict(kd_randomconv=0.0, mmd_randomconv=0.0),
                         to_real=compute_generation_metrics(reference, real, ('kid', 'mmd'),
                                                            'randomconv')))
        for solver, steps in SETTINGS:
            out = os.path.join(tmp, f'{solver}_{steps}')
            seconds = paint_set(generator, size, args, solver, steps, out)
            fake = extract_features(extractor, list_images(out), size, progress=False)
            rows.append(dict(solver=solver, steps=steps, nfe=steps * EVALS_PER_STEP[solver],
                             seconds=seconds,
                             to_euler100=compute_generation_metrics(fake, reference,
                                                                    ('kid', 'mmd'),
                                                                    'randomconv'),
                             to_real=compute_generation_metrics(fake, real, ('kid', 'mmd'),
                                                                'randomconv')))
    print('| solver | steps | NFE | pairs/s | KID to 100-step Euler | KID to real target | '
          'MMD to real target |')
    print('|---|---|---|---|---|---|---|')
    for row in sorted(rows, key=lambda r: (r['nfe'], r['solver'])):
        print(f"| {row['solver'].replace('Solver', '')} | {row['steps']} | {row['nfe']} | "
              f"{args.num / row['seconds']:.1f} | {row['to_euler100']['kd_randomconv']:.5f} | "
              f"{row['to_real']['kd_randomconv']:.5f} | "
              f"{row['to_real']['mmd_randomconv']:.5f} |")
    euler8 = next(r for r in rows if r['solver'] == 'EulerSolver' and r['steps'] == 8)
    bare = bare_forward_time(generator, size, args, 8)
    print(f'\ntool overhead, Euler 8 steps: {euler8["seconds"]:.2f} s against {bare:.2f} s of '
          f'bare forwards ({100 * (euler8["seconds"] / bare - 1):+.1f}%)')
    memory = {}
    for num in args.memory_num:
        with tempfile.TemporaryDirectory() as tmp:
            result = subprocess.run([sys.executable, __file__, args.config, args.checkpoint,
                                     '--source-masks', args.source_masks, '--real', args.real,
                                     '--batch-size', str(args.batch_size), '--child', tmp,
                                     str(num)], capture_output=True, text=True, check=True)
            memory[num] = json.loads(result.stdout.strip().splitlines()[-1])['max_rss_mib']
        print(f'peak RSS, {num} pairs (Euler 8): {memory[num]:.0f} MiB')
    if args.json:
        Path(args.json).write_text(json.dumps(dict(rows=rows, bare_seconds=bare,
                                                   memory=memory), indent=1, default=float))


if __name__ == '__main__':
    main()
