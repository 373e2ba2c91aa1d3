"""How long the dataset pre-check takes: PraNet's training split size (900 Kvasir-SEG + 550
CVC-ClinicDB pairs), cold (every pair read) and warm (every pair known from the cache).

The shared subsets hold 200 pairs each, so the 1,450 pairs are symlinks that cycle through them:
each link is its own cache entry and its files are decoded again, as distinct files would be
(the operating system's page cache is warm after the first round either way). A benchmark,
not a test; results in docs/notes/study_log.md.

    python benchmarks/pair_check.py [--data ../shared/data/polyp] [--repeats 3]
"""
import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.datasets import PolypDataset


def linked_split(root: Path, data: Path) -> Path:
    """``root/images`` + ``root/masks`` with 900 Kvasir-SEG and 550 CVC-ClinicDB links."""
    for sub in ('images', 'masks'):
        (root / sub).mkdir(parents=True)
    for name, count in (('Kvasir-SEG', 900), ('CVC-ClinicDB', 550)):
        images = sorted((data / name / 'images').iterdir())
        for i in range(count):
            image = images[i % len(images)]
            stem = f'{name}_{i:04d}'
            os.symlink(image, root / 'images' / f'{stem}{image.suffix}')
            os.symlink(data / name / 'masks' / f'{image.stem}.png', root / 'masks' / f'{stem}.png')
    return root


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default='../shared/data/polyp')
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    cpu = next((line.split(':', 1)[1].strip() for line in open('/proc/cpuinfo')
                if line.startswith('model name')), platform.processor())
    print(f'{os.cpu_count()} cores, {cpu}')
    cold, warm = [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            os.environ['ALIGNFLOW_CACHE'] = os.path.join(tmp, 'cache')
            root = linked_split(Path(tmp) / 'TrainDataset', Path(args.data).resolve())
            for times in (cold, warm):
                start = time.perf_counter()
                dataset = PolypDataset(data_root=str(root), pipeline=[])
                times.append(time.perf_counter() - start)
            unchecked = time.perf_counter()
            PolypDataset(data_root=str(root), pipeline=[], check_files=False)
            listing = time.perf_counter() - unchecked
    print(f'{len(dataset)} pairs; building the dataset (listing + pre-check):')
    for name, times in (('cold', cold), ('warm', warm)):
        print(f'  {name}: median {statistics.median(times):.2f} s '
              f'(min {min(times):.2f}, max {max(times):.2f}, {len(times)} runs)')
    print(f'  listing alone (check_files=False): {listing:.2f} s')


if __name__ == '__main__':
    main()
