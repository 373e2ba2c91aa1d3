"""Whether the stopping rule of ``AlignmentMonitorHook`` is calibrated: the reference floor
(held-out references against the other references, from the references alone) next to what
batches of real held-out target images score in the same comparison (``matched_reward``; a
generator that matched the target would score that), and next to the plain training reward of
those real batches (against the full bank) and of stage-1 samples for source masks.

Real held-out images are needed for the calibration only, hence a benchmark.

    python benchmarks/reference_floor.py \\
        projects/alignment_studies/configs/stage2_clinicdb_5shot_32px_conservative.py \\
        --shots 3 5 10 20 --cfg-options reference_split.folder=... \\
        train_dataloader.dataset.data_root=...
"""
import argparse
import random
from statistics import mean, pstdev

import torch

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.apis import load_config, prepare_reference_split
from alignflow.datasets.references import load_images
from alignflow.registry import DATASETS, MODELS
from alignflow.engine.hooks.reference_floor import matched_reward, reference_floor
from alignflow.rewards.reference_bank import VIEWS
from alignflow.utils import register_all_modules
from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a stage-2 (FewShotAlignment) config')
    parser.add_argument('--shots', nargs='+', default=['3', '5', '10', '20'])
    parser.add_argument('--batch', type=int, default=8, help='batch size of a real batch')
    parser.add_argument('--real-batches', type=int, default=50)
    parser.add_argument('--stage1-batches', type=int, default=4)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


@torch.no_grad()
def measure(cfg, batch: int, num_real: int, stage1_batches: int) -> dict:
    torch.manual_seed(0)
    split = prepare_reference_split(cfg)
    model = MODELS.build(cfg.model)
    reward = model.reward
    size = cfg.model.reference_size
    size = (size, size) if isinstance(size, int) else tuple(size)
    # Each real image enters in one random flip view, as the references enter the bank and as
    # a generator trained with flips paints them.
    images = load_images(split.heldout, size)
    flips = torch.Generator().manual_seed(0)
    views = reward.bank.views
    images = torch.stack([
        VIEWS[views[int(torch.randint(len(views), (1, ), generator=flips))]](image)
        for image in images])
    heldout = reward.feature_extractor(images).float()
    draw = random.Random(0)
    real_batches = [heldout[draw.sample(range(len(heldout)), batch)] for _ in range(num_real)]
    real = [float(reward.distance(b, reward.bank.features)) for b in real_batches]
    if reward.num_references < 3:  # no floor to calibrate
        return dict(floor=None, real=mean(real))
    real_matched = [matched_reward(reward, b) for b in real_batches]
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    items = [dataset[i] for i in range(batch * stage1_batches)]
    data = model.data_preprocessor(dict(inputs=[d['inputs'] for d in items],
                                        data_samples=[d['data_samples'] for d in items]))
    masks = data['inputs']['mask'].split(batch)
    stage1, stage1_matched = [], []
    for mask in masks:
        images = model.generator.sample(mask, num_steps=model.num_steps).clamp(-1, 1)
        stage1.append(float(reward(images)['loss_reward']))
        stage1_matched.append(matched_reward(reward, reward.last_features))
    return dict(references=reward.num_references, floor=reference_floor(reward, batch),
                real_matched=mean(real_matched),
                real_matched_sem=pstdev(real_matched) / len(real_matched) ** 0.5,
                real=mean(real), stage1=mean(stage1), stage1_matched=mean(stage1_matched))


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    print('| shots | reference floor | matched reward of real held-out batches (± s.e.) | '
          'matched reward of stage-1 samples | floor error, share of the stage-1 gap | '
          'training reward: real batches / stage-1 samples |')
    print('|---|---|---|---|---|---|')
    for shots in args.shots:
        cfg = load_config(args.config, cfg_options=dict(
            args.cfg_options, **{'reference_split.k': shots if shots == 'all' else int(shots)}))
        row = measure(cfg, args.batch, args.real_batches, args.stage1_batches)
        if row['floor'] is None:
            print(f"| {shots} | off (k < 3) | - | - | - | {row['real']:.4f} / - |", flush=True)
            continue
        # How far the floor misses real batches, as a share of the way from them to stage 1.
        error = (row['floor'] - row['real_matched']) / (row['stage1_matched'] -
                                                        row['real_matched'])
        print(f"| {shots} | {row['floor']:.4f} | {row['real_matched']:.4f} ± "
              f"{row['real_matched_sem']:.4f} | {row['stage1_matched']:.4f} | "
              f"{100 * error:+.0f}% | {row['real']:.4f} / {row['stage1']:.4f} |", flush=True)


if __name__ == '__main__':
    main()
