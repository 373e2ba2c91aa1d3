"""Stage 2 on CPU: what each speed lever does to a training iteration, one at a time and combined.

For each stage-2 config (default: ``stage2_clinicdb_5shot_{32,64}px.py``) and each lever (a set
of ``--cfg-options`` on the config's model), this builds the runner as ``tools/train.py`` does,
pointed at a stage-1 checkpoint of random weights (the arithmetic, and so the time, does not
depend on the weights; see ``stage2_profile.py``, whose set-up it shares), trains
``--warmup + --iters`` iterations with validation, checkpoints and grids off, and reports the
median iteration and its ratio to the config as it is. Levers run in ``--rounds`` rounds, each
round every lever once in the same order, so a drift of the machine shows as a spread between
rounds rather than as a lever's effect; the table gives the median over rounds.

Speed only: whether a lever keeps the quality of the aligned model is measured by running the
alignment sweep over several reference draws with the lever's options (docs/results/
performance.md says how).

A benchmark, not a test: it asserts nothing. Results: docs/results/performance.md.

Usage (from the repository root; about 4 minutes at 32 px and 12 at 64 px on 2 cores):
    python benchmarks/stage2_levers.py [--configs CFG [CFG ...]] [--levers NAME [NAME ...]]
        [--iters 8] [--warmup 2] [--rounds 2] [--synthetic] [--out OUT.json]
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stage2_profile as profile  # noqa: E402  (the shared set-up: data, random stage 1)

BF16 = {'optim_wrapper.type': 'AutoAmpOptimWrapper'}  # what ``tools/train.py --amp`` sets
FAST_K3 = dict(grad_last_k=3, checkpoint_kept_steps=False, num_steps=5, anchor_pairs=4)

# name -> (what it changes, the model options it sets[, other config options, dotted keys])
LEVERS = {
    'as configured': ('the config as it is', {}),
    'no checkpointing': ('kept steps store their activations instead of recomputing them',
                         dict(checkpoint_kept_steps=False)),
    'K=1': ('gradients through the last solver step only (DRaFT-1)', dict(grad_last_k=1)),
    'random K': ('K drawn from [1, 5] each iteration', dict(randomize_k=True)),
    '5 training steps': ('5 solver steps while training (all kept), 25 still in evaluation',
                         dict(num_steps=5)),
    'anchors on 4 pairs': ('the loss parts evaluate their velocity fields at 4 of the 8 pairs',
                           dict(anchor_pairs=4)),
    'K=1, no checkpointing': ('both', dict(grad_last_k=1, checkpoint_kept_steps=False)),
    'K=1, no checkpointing, anchors on 4': (
        'the three', dict(grad_last_k=1, checkpoint_kept_steps=False, anchor_pairs=4)),
    'K=1, no checkpointing, 5 training steps': (
        'the three', dict(grad_last_k=1, checkpoint_kept_steps=False, num_steps=5)),
    'K=1, no checkpointing, 5 training steps, anchors on 4': (
        'the four', dict(grad_last_k=1, checkpoint_kept_steps=False, num_steps=5,
                         anchor_pairs=4)),
    'K=3 of 5 training steps, no checkpointing, anchors on 4': (
        'gradients through the last 3 of 5 steps: 60% of the trajectory, as against 50%',
        FAST_K3),
    'bf16 autocast': ('mixed precision as `tools/train.py --amp` on the CPU (the reward and its '
                      'guards stay in float32)', {}, BF16),
    'bf16, K=3 of 5 training steps, no checkpointing, anchors on 4': (
        'the two above', FAST_K3, BF16),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', nargs='+', default=profile.DEFAULT_CONFIGS)
    parser.add_argument('--levers', nargs='+', choices=list(LEVERS), default=list(LEVERS))
    parser.add_argument('--iters', type=int, default=8, help='timed iterations per lever')
    parser.add_argument('--warmup', type=int, default=2, help='untimed iterations first')
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--source', type=Path, default=profile.SHARED / 'Kvasir-SEG')
    parser.add_argument('--target', type=Path, default=profile.SHARED / 'CVC-ClinicDB')
    parser.add_argument('--synthetic', action='store_true',
                        help='write small synthetic sets instead of reading ../shared/data')
    parser.add_argument('--out', type=Path, help='also write the results to this JSON file')
    return parser.parse_args()


def median_iteration(path: str, options: tuple, args, work: Path, source: Path,
                     target: Path) -> float:
    """The median seconds of a ``runner.train()`` iteration of the config with a lever's
    ``options`` (its ``LEVERS`` entry) merged in."""
    from alignflow.apis import build_runner
    cfg, _ = profile.benchmark_config(path, args, work, source, target, ('framework', ))
    cfg.model.update(options[1])
    if len(options) > 2:
        cfg.merge_from_dict(options[2])
    runner = build_runner(cfg)
    timer_hook = profile.step_timer_hook()
    runner.register_hook(timer_hook)
    runner.train()
    times, _ = timer_hook.per_iter(args.warmup)
    del runner
    return statistics.median(times)


def main():
    args = parse_args()
    tmp = Path(tempfile.mkdtemp(prefix='stage2_levers_'))
    os.environ['ALIGNFLOW_CACHE'] = str(tmp / 'cache')
    import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
    import torch
    from alignflow.utils import register_all_modules
    register_all_modules()
    if args.synthetic or not (args.source / 'masks').is_dir() or \
            not (args.target / 'images').is_dir():
        source, target = profile.write_synthetic(tmp / 'data')
    else:
        source, target = args.source, args.target
    print(f'{profile.cpu_model()}, {os.cpu_count()} CPUs, torch {torch.__version__} with '
          f'{torch.get_num_threads()} threads; data: {source} -> {target}')
    results = {}
    try:
        for path in args.configs:
            rounds = {name: [] for name in args.levers}
            for round_index in range(args.rounds):
                for number, name in enumerate(args.levers):
                    work = tmp / f'{Path(path).stem}_{round_index}_{number}'
                    work.mkdir()
                    start = time.perf_counter()
                    seconds = median_iteration(path, LEVERS[name], args, work, source,
                                               target)
                    rounds[name].append(seconds)
                    print(f'{Path(path).stem} round {round_index}: {name}: {seconds:.3f} s an '
                          f'iteration ({time.perf_counter() - start:.0f} s with set-up)',
                          flush=True)
            results[path] = rounds
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for path, rounds in results.items():
        base = statistics.median(rounds[args.levers[0]])
        print(f'\n## {Path(path).stem} (ratio to "{args.levers[0]}")\n')
        print('| lever | what it changes | s an iteration (per round) | ratio |')
        print('|---|---|---:|---:|')
        for name, times in rounds.items():
            cells = ', '.join(f'{t:.3f}' for t in times)
            print(f'| {name} | {LEVERS[name][0]} | {cells} | '
                  f'{statistics.median(times) / base:.2f} |')
    if args.out:
        args.out.write_text(json.dumps(dict(cpu=profile.cpu_model(), results=results),
                                       indent=1))


if __name__ == '__main__':
    main()
