"""Peak memory and time of one stage-2 alignment step as the number of kept solver steps grows.

Each configuration runs in a fresh process so peak figures do not leak between them, and
measures its first step (no warm-up, so the process peak is the step's). Reported: the bytes
of activations autograd keeps for backward (unique storages seen by ``saved_tensors_hooks``:
what grows with the number of kept steps) and the peak memory growth of the step (CUDA:
``torch.cuda.max_memory_allocated``; CPU: growth of the peak resident set size ``ru_maxrss``).
Seconds are those of that first step, so they include one-off setup. On CPU, freed memory
stays in glibc's heap and counts in the resident set, so by default the child processes serve
large allocations with mmap (``--malloc-mmap-threshold``; 0 measures the default allocator).

    python benchmarks/reward_memory.py [--kept 1 5 10 20] [--steps 20] [--size 64] [--batch 8]

Prints a table; ``--json OUT`` also writes the rows.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--kept', nargs='+', type=int, default=[1, 5, 10, 20])
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--base-channels', type=int, default=32)
    parser.add_argument('--json')
    parser.add_argument('--malloc-mmap-threshold', type=int, default=131072,
                        help='CPU only: glibc serves allocations above this many bytes with '
                             'mmap and returns them to the OS on free, so the resident-set '
                             'peak tracks live tensors; 0 keeps the default allocator (which '
                             'retains freed heap and inflates the peak with each recompute)')
    parser.add_argument('--single', nargs=2, metavar=('KEPT', 'CHECKPOINT'),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def one_step(args, kept: int, checkpoint: bool) -> dict:
    """Time and peak memory of one forward+backward of the reward through ``kept`` steps."""
    import torch

    import alignflow  # noqa: F401
    from alignflow.models.generators import MaskConditionedFlow
    from alignflow.registry import REWARDS

    torch.manual_seed(0)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model = MaskConditionedFlow(
        velocity_net=dict(type='ConditionalUNet', base_channels=args.base_channels,
                          channel_mults=(1, 2, 2), num_res_blocks=1, attention_levels=(2, )),
        solver=dict(type='EulerSolver', num_steps=args.steps)).to(device)
    reward = REWARDS.build(dict(type='MMDReward',
                                feature_extractor=dict(type='LowLevelStatistics'))).to(device)
    reward.set_references(torch.rand(5, 3, args.size, args.size, device=device) * 2 - 1)
    mask = (torch.rand(args.batch, 1, args.size, args.size, device=device) > 0.5).float() * 2 - 1

    def step():
        images = model.sample(mask, grad_last_k=kept, checkpoint=checkpoint)
        loss = reward(images.clamp(-1, 1))['loss_reward']
        loss.backward()
        model.zero_grad(set_to_none=True)

    saved = {}

    def pack(tensor):
        if not isinstance(tensor, torch.nn.Parameter):
            storage = tensor.untyped_storage()
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    if device == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
    else:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        step()
    if device == 'cuda':
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() - before
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    return dict(kept=kept, checkpoint=checkpoint, seconds=time.perf_counter() - start,
                saved_mib=sum(saved.values()) / 2**20, peak_mib=max(peak, 0) / 2**20,
                device=device)


def main(argv=None):
    args = parse_args(argv)
    if args.single:
        kept, checkpoint = int(args.single[0]), args.single[1] == 'True'
        print(json.dumps(one_step(args, kept, checkpoint)))
        return
    rows = []
    for checkpoint in (False, True):
        for kept in args.kept:
            command = [sys.executable, __file__, '--single', str(kept), str(checkpoint),
                       '--steps', str(args.steps), '--size', str(args.size),
                       '--batch', str(args.batch), '--base-channels', str(args.base_channels)]
            env = dict(os.environ)
            if args.malloc_mmap_threshold:
                env['MALLOC_MMAP_THRESHOLD_'] = str(args.malloc_mmap_threshold)
            output = subprocess.run(command, capture_output=True, text=True, check=True,
                                    env=env).stdout
            rows.append(json.loads(output.strip().splitlines()[-1]))
    print(f'{args.steps} Euler steps, batch {args.batch}, {args.size}px, '
          f'U-Net base {args.base_channels}, device {rows[0]["device"]}, '
          f'MALLOC_MMAP_THRESHOLD_={args.malloc_mmap_threshold or "default"}')
    print('| kept steps | checkpointing | saved activations MiB | x kept=1 | peak growth MiB '
          '| x kept=1 | seconds |')
    print('|---|---|---|---|---|---|---|')
    for row in rows:
        base = next(r for r in rows if r['checkpoint'] == row['checkpoint'] and
                    r['kept'] == min(args.kept))
        print(f"| {row['kept']} | {'yes' if row['checkpoint'] else 'no'} | "
              f"{row['saved_mib']:.1f} | {row['saved_mib'] / max(base['saved_mib'], 1e-9):.2f} | "
              f"{row['peak_mib']:.0f} | {row['peak_mib'] / max(base['peak_mib'], 1e-9):.2f} | "
              f"{row['seconds']:.2f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == '__main__':
    main()
