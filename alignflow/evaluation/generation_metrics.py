"""FID, KID, MMD and precision/recall from two feature sets, named by their feature space."""
from typing import Dict, Sequence

import numpy as np
import torch

from alignflow.distances import (frechet_distance, gaussian_stats, kid, mmd2,
                                 precision_recall)

AVAILABLE_METRICS = ('fid', 'kid', 'mmd', 'precision', 'recall')


def metric_names(feature_space: str) -> Dict[str, str]:
    """Output names per metric. 'FID'/'KID' are reserved for the pretrained FID Inception
    (``feature_space='inception'``); in any other space the same distances are reported as
    ``fd_<space>`` (Frechet distance) and ``kd_<space>`` (kernel distance)."""
    if feature_space == 'inception':
        return dict(fid='fid', kid='kid', mmd='mmd', precision='precision', recall='recall')
    return dict(fid=f'fd_{feature_space}', kid=f'kd_{feature_space}',
                mmd=f'mmd_{feature_space}', precision=f'precision_{feature_space}',
                recall=f'recall_{feature_space}')


def minimum_set_size(metrics: Sequence[str], pr_k: int = 3) -> Dict[str, int]:
    """The fewest images per set each metric needs: a covariance (FID) or a pair of distinct
    samples (KID) needs 2, the k-NN radii of precision/recall ``pr_k + 1``, MMD 1."""
    needs = dict(fid=2, kid=2, mmd=1, precision=pr_k + 1, recall=pr_k + 1)
    return {m: needs[m] for m in metrics if m in needs}


def compute_generation_metrics(fake: np.ndarray, real: np.ndarray, metrics: Sequence[str],
                               feature_space: str, kid_subsets: int = 100,
                               kid_subset_size: int = 1000, pr_k: int = 3,
                               seed: int = 0) -> Dict[str, float]:
    """Distances between generated and real features.

    Args:
        fake: (M, D) features of generated images.
        real: (N, D) features of real images.
        metrics: any of :data:`AVAILABLE_METRICS`.
        feature_space: name of the feature space (see :func:`metric_names`).
        kid_subsets, kid_subset_size: KID subsets; the size adapts to min(size, N, M).
        pr_k: k of the k-NN precision/recall.

    Returns:
        ``{name: value}``, plus ``<kid name>_std``, ``num_fake`` and ``num_real``.
    """
    unknown = sorted(set(metrics) - set(AVAILABLE_METRICS))
    if unknown:
        raise ValueError(f'unknown metrics {unknown}; choose from {AVAILABLE_METRICS}')
    names = metric_names(feature_space)
    fake_t, real_t = torch.from_numpy(fake).double(), torch.from_numpy(real).double()
    results: Dict[str, float] = dict(num_fake=len(fake), num_real=len(real))
    if 'fid' in metrics:
        if min(len(fake), len(real)) < 2:
            raise ValueError('the Frechet distance needs at least 2 images per set')
        mu_f, sigma_f = gaussian_stats(fake_t)
        mu_r, sigma_r = gaussian_stats(real_t)
        results[names['fid']] = float(frechet_distance(mu_f, sigma_f, mu_r, sigma_r))
    if 'kid' in metrics:
        mean, std = kid(fake_t, real_t, num_subsets=kid_subsets, subset_size=kid_subset_size,
                        generator=torch.Generator().manual_seed(seed))
        results[names['kid']] = float(mean)
        results[names['kid'] + '_std'] = float(std)
        results[names['kid'] + '_subset_size'] = min(kid_subset_size, len(fake), len(real))
    if 'mmd' in metrics:
        unbiased = min(len(fake), len(real)) >= 2
        results[names['mmd']] = float(mmd2(fake_t, real_t, unbiased=unbiased))
    if 'precision' in metrics or 'recall' in metrics:
        precision, recall = precision_recall(real_t, fake_t, k=pr_k)
        if 'precision' in metrics:
            results[names['precision']] = precision
        if 'recall' in metrics:
            results[names['recall']] = recall
    return results
