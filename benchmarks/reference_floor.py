"""How well the reference floor (the stopping threshold of ``AlignmentMonitorHook``) predicts
the reward that real target images get, without seeing any of them.

For a stage-2 config and each shot count: the floor the hook would use
(``reward.reference_floor()``, references only); the mean reward of batches of real held-out
target images against the same reference bank (what a generator that matched the target
would score; needs the held-out images, so only a benchmark can measure it); and the reward of
stage-1 samples for source masks (where alignment starts).

    python benchmarks/reference_floor.py configs/alignflow/clinicdb_5shot_32.py \\
        --shots 3 5 10 20 --cfg-options model.references.folder=... \\
        train_dataloader.dataset.data_root=...
"""
import argparse
import random
import sys
from pathlib import Path
from statistics import mean, pstdev

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import alignflow  # noqa: E402,F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.apis import load_config  # noqa: E402
from alignflow.datasets.references import load_images  # noqa: E402
from alignflow.registry import DATASETS, MODELS  # noqa: E402
from alignflow.utils import register_all_modules  # noqa: E402
from mmengine.config import DictAction  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a stage-2 (FewShotAlignment) config')
    parser.add_argument('--shots', nargs='+', default=['3', '5', '10', '20'])
    parser.add_argument('--batch', type=int, default=8, help='batch size of a real batch')
    parser.add_argument('--real-batches', type=int, default=100)
    parser.add_argument('--stage1-batches', type=int, default=4)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


@torch.no_grad()
def measure(cfg, batch: int, real_batches: int, stage1_batches: int) -> dict:
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    reward, split = model.reward, model.reference_split
    size = cfg.model.references.get('img_size', (64, 64))
    size = (size, size) if isinstance(size, int) else tuple(size)
    heldout = reward.feature_extractor(load_images(split.heldout, size)).float()
    draw = random.Random(0)
    real = [float(reward.distance(heldout[draw.sample(range(len(heldout)), batch)],
                                  reward.reference_features)) for _ in range(real_batches)]
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    items = [dataset[i] for i in range(batch * stage1_batches)]
    data = model.data_preprocessor(dict(inputs=[d['inputs'] for d in items],
                                        data_samples=[d['data_samples'] for d in items]))
    masks = data['inputs']['mask'].split(batch)
    stage1 = [float(reward(model.generator.sample(m, num_steps=model.num_steps).clamp(-1, 1))
                    ['loss_reward']) for m in masks]
    return dict(references=reward.num_references, floor=reward.reference_floor(),
                real=mean(real), real_sem=pstdev(real) / len(real) ** 0.5,
                stage1=mean(stage1))


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    print('| shots | reference floor | reward of real held-out batches (± s.e.) | '
          'floor / real | reward of stage-1 samples |')
    print('|---|---|---|---|---|')
    for shots in args.shots:
        cfg = load_config(args.config, cfg_options=dict(
            args.cfg_options, **{'model.references.k': shots if shots == 'all' else int(shots)}))
        row = measure(cfg, args.batch, args.real_batches, args.stage1_batches)
        floor, real = row['floor'], row['real']
        floor_text = 'off (k < 3)' if floor is None else f'{floor:.4f}'
        ratio = '-' if floor is None else f'{floor / real:.2f}'
        print(f"| {shots} | {floor_text} | {real:.4f} ± {row['real_sem']:.4f} | {ratio} | "
              f"{row['stage1']:.4f} |", flush=True)

if __name__ == '__main__':
    main()
