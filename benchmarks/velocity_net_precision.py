"""The stage-2 U-Net alone on the CPU: float32 against bfloat16 autocast, channels-last memory
format and ``torch.compile``, at the sizes of the CPU configs.

One "step" is what a stage-2 iteration does to the network most: three forwards without
gradients (the solver steps before the kept ones) and one forward and backward (a kept step),
on a batch of 8 (B, 3, S, S) states with (B, 1, S, S) masks. The network is the one of the polyp
configs (``flow_unet_tiny``: ``ConditionalUNet``, 32 base channels, mults (1, 2, 2)) with random
weights: the arithmetic, and so the time, does not depend on them. Each mode runs in a fresh
process (compiled graphs and oneDNN's caches would otherwise carry over); the table gives the
median of ``--iters`` steps after one untimed step (which, for ``compile``, includes compiling).

Whether a mode keeps the quality of the aligned model is measured by the alignment sweep, not
here (docs/results/performance.md).

A benchmark, not a test: it asserts nothing. Results: docs/results/performance.md.

Usage (from the repository root; about 1 minute, and 2 more per size with ``compile``):
    python benchmarks/velocity_net_precision.py [--sizes 32 64] [--modes fp32 bf16 ...]
        [--iters 6]
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

MODES = {
    'fp32': 'float32, contiguous (the default)',
    'bf16': 'bfloat16 autocast (what `tools/train.py --amp` does on the CPU)',
    'channels-last': 'float32, channels-last memory format',
    'channels-last+bf16': 'both',
    'compile': 'float32, torch.compile (inductor)',
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[32, 64])
    parser.add_argument('--modes', nargs='+', choices=list(MODES), default=list(MODES))
    parser.add_argument('--iters', type=int, default=6)
    parser.add_argument('--one', nargs=2, metavar=('SIZE', 'MODE'), help=argparse.SUPPRESS)
    return parser.parse_args()


def time_one(size: int, mode: str, iters: int) -> dict:
    """Seconds of the first step and the median of ``iters`` later ones, in this process."""
    import torch
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from alignflow.models.velocity.unet import ConditionalUNet
    torch.manual_seed(0)
    net = ConditionalUNet(base_channels=32, channel_mults=(1, 2, 2), num_res_blocks=1,
                          attention_levels=(2, ), num_heads=4, zero_init_output=False)
    states, masks, times = torch.randn(8, 3, size, size), torch.randn(8, 1, size, size), \
        torch.rand(8)
    if mode.startswith('channels-last'):
        net = net.to(memory_format=torch.channels_last)
        states = states.contiguous(memory_format=torch.channels_last)
        masks = masks.contiguous(memory_format=torch.channels_last)
    run = torch.compile(net) if mode == 'compile' else net

    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=mode.endswith('bf16')):
            with torch.no_grad():
                for _ in range(3):
                    run(states, times, masks)
            loss = run(states, times, masks).float().square().mean()
        loss.backward()

    start = time.perf_counter()
    step()
    first = time.perf_counter() - start
    seconds = []
    for _ in range(iters):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    return dict(first=first, median=statistics.median(seconds))


def main():
    args = parse_args()
    if args.one:
        print(json.dumps(time_one(int(args.one[0]), args.one[1], args.iters)))
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from stage2_profile import cpu_model
    import torch
    print(f'{cpu_model()}, torch {torch.__version__} with {torch.get_num_threads()} threads, '
          f'native bfloat16: {bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())}')
    results = {}
    for size in args.sizes:
        for mode in args.modes:
            out = subprocess.run([sys.executable, '-W', 'ignore', __file__, '--one', str(size),
                                  mode, '--iters', str(args.iters)],
                                 capture_output=True, text=True, check=True)
            results[size, mode] = json.loads(out.stdout.strip().splitlines()[-1])
            print(f'{size} px {mode}: {results[size, mode]}', flush=True)
    print('\n| mode | what it is | ' + ' | '.join(f'{s} px ms | × fp32' for s in args.sizes) +
          ' |')
    print('|---|---|' + '---:|---:|' * len(args.sizes))
    for mode in args.modes:
        cells = []
        for size in args.sizes:
            base = results[size, args.modes[0]]['median']
            cells.append(f"{results[size, mode]['median'] * 1000:.0f} | "
                         f"{results[size, mode]['median'] / base:.2f}")
        print(f'| {mode} | {MODES[mode]} | ' + ' | '.join(cells) + ' |')


if __name__ == '__main__':
    main()
