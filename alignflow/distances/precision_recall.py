"""Improved precision and recall (Kynkaanniemi et al., NeurIPS 2019).

Each set's manifold is the union of balls around its points with radius the distance to the
point's k-th nearest neighbour in the same set (itself excluded). Precision is the fraction of
fake samples inside the real manifold, recall the fraction of real samples inside the fake one.
"""
from typing import Tuple

import torch
from torch import Tensor

from .kernels import check_features, pairwise_sq_dists

__all__ = ['precision_recall']


def _knn_sq_radii(features: Tensor, k: int, batch_size: int) -> Tensor:
    """Squared distance of each row of ``features: (N, D)`` to its k-th nearest other row:
    ``(N,)``. Blocks of ``batch_size x batch_size`` distances; a running top-k per row."""
    n = features.shape[0]
    radii = []
    for start in range(0, n, batch_size):
        rows = features[start:start + batch_size]
        best = rows.new_full((rows.shape[0], 0), float('inf'))
        for col in range(0, n, batch_size):
            sq = pairwise_sq_dists(rows, features[col:col + batch_size])
            row_ids = torch.arange(start, start + rows.shape[0], device=sq.device)
            col_ids = torch.arange(col, col + sq.shape[1], device=sq.device)
            sq = sq.masked_fill(row_ids[:, None] == col_ids[None, :], float('inf'))
            candidates = torch.cat([best, sq], dim=1)
            best = candidates.topk(min(k, candidates.shape[1]), dim=1, largest=False).values
        radii.append(best[:, k - 1])
    return torch.cat(radii)


def _coverage(queries: Tensor, points: Tensor, sq_radii: Tensor, batch_size: int) -> float:
    """Fraction of ``queries: (Q, D)`` within ``sqrt(sq_radii[j])`` of some ``points[j]``."""
    inside = []
    for start in range(0, queries.shape[0], batch_size):
        rows = queries[start:start + batch_size]
        hit = torch.zeros(rows.shape[0], dtype=torch.bool, device=rows.device)
        for col in range(0, points.shape[0], batch_size):
            sq = pairwise_sq_dists(rows, points[col:col + batch_size])
            hit |= (sq <= sq_radii[col:col + batch_size]).any(dim=1)
        inside.append(hit)
    return torch.cat(inside).double().mean().item()


@torch.no_grad()
def precision_recall(real: Tensor,
                     fake: Tensor,
                     k: int = 3,
                     batch_size: int = 4096) -> Tuple[float, float]:
    """Improved precision and recall with k-NN manifolds.

    ``precision = 1/M sum_j [exists i: ||f_j - r_i|| <= NN_k(r_i)]``,
    ``recall = 1/N sum_i [exists j: ||r_i - f_j|| <= NN_k(f_j)]``, with ``NN_k`` the distance
    to the k-th nearest neighbour within the same set, excluding the point itself.
    Distances are computed in ``batch_size x batch_size`` blocks, so memory stays
    ``O(batch_size^2 + (N + M) k)``. Not differentiable (counts).

    Args:
        real: ``(N, D)`` real features, ``N > k``.
        fake: ``(M, D)`` generated features, ``M > k``.
        k: Neighbourhood size (the paper uses 3).
        batch_size: Block size of the distance computation.

    Returns:
        ``(precision, recall)``, floats in ``[0, 1]``.
    """
    check_features(real, fake)
    if k < 1 or batch_size < 1:
        raise ValueError(f'need k >= 1 and batch_size >= 1, got {k} and {batch_size}')
    if real.shape[0] <= k or fake.shape[0] <= k:
        raise ValueError(f'precision/recall with k={k} needs more than k samples per set, got '
                         f'N={real.shape[0]} real and M={fake.shape[0]} fake; lower k or add '
                         f'samples')
    dtype = torch.promote_types(real.dtype, fake.dtype)
    real, fake = real.to(dtype), fake.to(dtype)
    real_radii = _knn_sq_radii(real, k, batch_size)
    fake_radii = _knn_sq_radii(fake, k, batch_size)
    precision = _coverage(fake, real, real_radii, batch_size)
    recall = _coverage(real, fake, fake_radii, batch_size)
    return precision, recall
