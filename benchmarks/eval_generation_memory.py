"""Peak memory and time of ``tools/eval_generation.py`` as the number of large images grows.

Writes ``max(--counts)`` smooth images of ``--image-size`` into a generated and a real folder
(different seeds; PNG), then runs the tool on the first N of each, each N in a fresh process
that reports its own peak resident set (``ru_maxrss``) and the resident set after the imports.
With images streamed a batch at a time the peak should not grow with N.

    python benchmarks/eval_generation_memory.py [--counts 50 100 200] [--image-size 1024 1280]
        [--workdir DIR] [-- TOOL ARGS]   # default tool args: --metrics kid mmd
                                         # --feature-space statistics --diversity-networks 0

Prints a table; ``--json OUT`` also writes the rows.
"""
import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TOOL_ARGS = ['--metrics', 'kid', 'mmd', '--feature-space', 'statistics',
                     '--diversity-networks', '0']


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--counts', nargs='+', type=int, default=[50, 100, 200])
    parser.add_argument('--image-size', nargs=2, type=int, default=[1024, 1280],
                        metavar=('H', 'W'))
    parser.add_argument('--workdir', help='where the images are written (default: a temporary '
                        'folder, removed afterwards)')
    parser.add_argument('--json')
    parser.add_argument('--single', nargs=2, metavar=('GENERATED', 'REAL'),
                        help=argparse.SUPPRESS)
    parser.add_argument('tool_args', nargs=argparse.REMAINDER,
                        help='arguments after -- go to the tool')
    args = parser.parse_args(argv)
    args.tool_args = [a for a in args.tool_args if a != '--'] or DEFAULT_TOOL_ARGS
    return args


def write_images(folder: Path, count: int, size, seed: int) -> None:
    """``count`` smooth RGB PNGs of ``size`` = (H, W): noise at 1/16 scale, enlarged."""
    import cv2
    import numpy as np
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    height, width = size
    for i in range(count):
        small = rng.integers(0, 256, (height // 16, width // 16, 3), dtype=np.uint8)
        cv2.imwrite(str(folder / f'{i:04d}.png'),
                    cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC))


def link_first(source: Path, target: Path, count: int) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir())[:count]:
        (target / path.name).symlink_to(path)


def single(generated: str, real: str, tool_args) -> dict:
    """Run the tool in this process; its peak resident set and time."""
    import importlib.util

    import torch  # noqa: F401  (imported before the baseline is taken)

    import alignflow  # noqa: F401
    after_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    spec = importlib.util.spec_from_file_location('eval_generation',
                                                  REPO / 'tools' / 'eval_generation.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    start = time.perf_counter()
    tool.main([generated, real, '--no-cache', *tool_args])
    return dict(seconds=round(time.perf_counter() - start, 1),
                rss_after_imports_mib=round(after_imports),
                peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def main(argv=None):
    args = parse_args(argv)
    if args.single:
        print(json.dumps(single(*args.single, args.tool_args)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.workdir or tmp)
        for name, seed in (('generated', 0), ('real', 1)):
            if len(list((root / name).glob('*.png'))) < max(args.counts):
                write_images(root / name, max(args.counts), args.image_size, seed)
        rows = []
        for count in args.counts:
            folders = [root / f'{name}_{count}' for name in ('generated', 'real')]
            for name, folder in zip(('generated', 'real'), folders):
                if not folder.exists():
                    link_first(root / name, folder, count)
            result = subprocess.run(
                [sys.executable, __file__, '--single', *map(str, folders), '--',
                 *args.tool_args], capture_output=True, text=True, cwd=REPO, check=True)
            rows.append(dict(images_per_set=count, **json.loads(
                result.stdout.strip().splitlines()[-1])))
    print(f'tool args: {" ".join(args.tool_args)}; images {args.image_size[0]}x'
          f'{args.image_size[1]}')
    print('| images per set | peak RSS (MiB) | RSS after imports (MiB) | seconds |')
    print('|---|---|---|---|')
    for row in rows:
        print(f'| {row["images_per_set"]} | {row["peak_rss_mib"]} | '
              f'{row["rss_after_imports_mib"]} | {row["seconds"]} |')
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == '__main__':
    main()
