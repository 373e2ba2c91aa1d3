"""The statistics of the reference-floor stopping rule (:class:`AlignmentMonitorHook`): how close
held-out references come to the others, and the same comparison for generated images."""
from typing import Iterator, Optional, Tuple

import torch
from torch import Tensor

from alignflow.rewards import DistributionReward


def held_count(num_references: int, batch_size: int) -> int:
    """References held out per split: a third of them, at least 2 and at most ``batch_size``
    (generated images stand in for them one for one)."""
    return max(2, min(num_references // 3, batch_size))


def reference_splits(reward: DistributionReward, held: int, num_splits: int,
                     seed: int) -> Iterator[Tuple[Tensor, Tensor]]:
    """Seeded splits of the reward's bank: (one random view of each of ``held`` references,
    (held * P, D); every view of the other references, ((K - held) * V * P, D))."""
    bank = reward.bank.per_view()
    views, count = bank.shape[:2]
    generator = torch.Generator().manual_seed(seed)
    for _ in range(num_splits):
        order = torch.randperm(count, generator=generator)
        picked = torch.randint(views, (held, ), generator=generator)
        order, picked = order.to(bank.device), picked.to(bank.device)
        yield (bank[picked, order[:held]].flatten(0, 1), bank[:, order[held:]].flatten(0, 2))


@torch.no_grad()
def reference_floor(reward: DistributionReward, batch_size: int = 8, num_splits: int = 32,
                    seed: int = 0) -> Optional[float]:
    """How close real target images come to the references: the mean distance of held-out
    references to the others over seeded splits; None with fewer than 3 references.

    A held-out image enters as one view (its flip views are near-copies of each other and
    would inflate the within-set term: a leave-one-out floor measured 6-9x the reward of real
    target batches). Compare it with :func:`matched_reward` of generated images, which scores
    them against the same banks with the same set sizes, rather than with the training reward:
    a bank of ``K - m`` references scores every set differently from the full bank
    (docs/notes/study_log.md).
    """
    if reward.num_references < 3:
        return None
    held = held_count(reward.num_references, batch_size)
    values = [float(reward.feature_distance(held_out, rest))
              for held_out, rest in reference_splits(reward, held, num_splits, seed)]
    return sum(values) / len(values)


@torch.no_grad()
def matched_reward(reward: DistributionReward, features: Tensor, num_splits: int = 32,
                   seed: int = 0) -> Optional[float]:
    """The counterpart of :func:`reference_floor` for generated images: per split, ``held`` of
    the images of the (B * P, D) ``features`` (a seeded draw) scored against the split's bank.
    Equal to the floor in expectation when the generator matches the target; None with fewer
    than 3 references."""
    if reward.num_references < 3:
        return None
    per_image = features.view(-1, reward.bank.patches_per_image, features.shape[-1])
    held = held_count(reward.num_references, per_image.shape[0])
    draw = torch.Generator().manual_seed(seed + 1)
    values = []
    for _, rest in reference_splits(reward, held, num_splits, seed):
        chosen = torch.randperm(per_image.shape[0], generator=draw)[:held]
        values.append(float(reward.feature_distance(
            per_image[chosen.to(features.device)].flatten(0, 1), rest)))
    return sum(values) / len(values)
