"""Pairwise squared distances and the kernels built on them (RBF, polynomial).

All functions take feature matrices ``x: (N, D)`` and ``y: (M, D)`` and return ``(N, M)``
matrices; they are differentiable in ``x`` and ``y`` and keep their dtype and device.
"""
from typing import Optional, Sequence, Union

import torch
from torch import Tensor

__all__ = [
    'Bandwidths', 'check_features', 'pairwise_sq_dists', 'rbf_kernel', 'median_bandwidth',
    'polynomial_kernel'
]

Bandwidths = Union[float, Sequence[float], Tensor]
"""RBF bandwidths ``sigma``: a number, a sequence of numbers or a ``(S,)`` tensor."""


def check_features(x: Tensor, y: Tensor, min_x: int = 1, min_y: int = 1) -> None:
    """Raise ``ValueError`` unless ``x: (N, D)`` and ``y: (M, D)`` are feature matrices with
    ``N >= min_x`` and ``M >= min_y``."""
    if x.dim() != 2 or y.dim() != 2:
        raise ValueError(f'expected feature matrices (N, D) and (M, D), got shapes '
                         f'{tuple(x.shape)} and {tuple(y.shape)}; flatten features first')
    if x.shape[1] != y.shape[1]:
        raise ValueError(f'feature dimensions differ: x has D={x.shape[1]}, '
                         f'y has D={y.shape[1]}')
    if x.shape[0] < min_x or y.shape[0] < min_y:
        raise ValueError(f'need at least {min_x} sample(s) in x and {min_y} in y, got '
                         f'N={x.shape[0]} and M={y.shape[0]}')


def pairwise_sq_dists(x: Tensor, y: Tensor) -> Tensor:
    """Squared Euclidean distances ``D[i, j] = ||x_i - y_j||^2``.

    Computed as ``|x|^2 + |y|^2 - 2 x y^T`` after subtracting the (constant, detached) mean of
    the pooled set, which the distances do not depend on but which avoids cancellation for
    features far from the origin; clamped at 0 against round-off.

    Args:
        x: ``(N, D)``.
        y: ``(M, D)``.

    Returns:
        ``(N, M)``, non-negative.
    """
    check_features(x, y)
    dtype = torch.promote_types(x.dtype, y.dtype)
    x, y = x.to(dtype), y.to(dtype)
    with torch.no_grad():
        shift = torch.cat([x, y]).mean(dim=0, keepdim=True)
    x, y = x - shift, y - shift
    sq = (x * x).sum(dim=1, keepdim=True) + (y * y).sum(dim=1) - 2.0 * (x @ y.T)
    return sq.clamp_min(0.0)


def _as_bandwidths(bandwidths: Bandwidths, like: Tensor) -> Tensor:
    sigma = torch.as_tensor(bandwidths, dtype=like.dtype, device=like.device).reshape(-1)
    if sigma.numel() == 0 or not bool((sigma > 0).all()):
        raise ValueError(f'RBF bandwidths must be a non-empty set of positive numbers, '
                         f'got {bandwidths}')
    return sigma


def rbf_kernel(x: Tensor, y: Tensor, bandwidths: Bandwidths) -> Tensor:
    """Multi-bandwidth Gaussian kernel ``K = 1/S sum_s exp(-||x_i - y_j||^2 / (2 sigma_s^2))``.

    Args:
        x: ``(N, D)``.
        y: ``(M, D)``.
        bandwidths: ``sigma`` values (a number, a sequence or an ``(S,)`` tensor), in the
            units of the features (not squared).

    Returns:
        ``(N, M)``.
    """
    sq = pairwise_sq_dists(x, y)
    sigma = _as_bandwidths(bandwidths, sq)
    kernel = torch.zeros_like(sq)
    for s in sigma:
        kernel = kernel + torch.exp(sq / (-2.0 * s * s))
    return kernel / sigma.numel()


def median_bandwidth(x: Tensor, y: Optional[Tensor] = None) -> Tensor:
    """Median heuristic: the median Euclidean distance between distinct points of the pooled
    set ``[x; y]`` (each unordered pair once), computed without gradient.

    Scale-equivariant: ``median_bandwidth(c x, c y) = |c| median_bandwidth(x, y)``. If more than
    half the pairs coincide (median 0) the mean distance is used; if all points coincide, 1.

    Args:
        x: ``(N, D)``.
        y: ``(M, D)`` or ``None`` (use ``x`` alone).

    Returns:
        0-dim tensor (dtype/device of the pooled features), detached.
    """
    with torch.no_grad():
        pooled = x if y is None else torch.cat(
            [x, y.to(torch.promote_types(x.dtype, y.dtype))])
        n = pooled.shape[0]
        if n < 2:
            raise ValueError(f'the median heuristic needs at least 2 points in total, got {n}')
        sq = pairwise_sq_dists(pooled, pooled)
        rows, cols = torch.triu_indices(n, n, offset=1, device=sq.device)
        sq = sq[rows, cols]
        # torch.median takes the lower middle value, so sqrt commutes with it exactly.
        median = sq.median().sqrt()
        if median > 0:
            return median
        mean = sq.sqrt().mean()
        return mean if mean > 0 else torch.ones_like(mean)


def polynomial_kernel(x: Tensor,
                      y: Tensor,
                      degree: int = 3,
                      gamma: Optional[float] = None,
                      coef0: float = 1.0) -> Tensor:
    """Polynomial kernel ``K = (gamma <x_i, y_j> + coef0)^degree``; the defaults
    (``degree=3``, ``gamma=1/D``, ``coef0=1``) are KID's kernel (Binkowski et al., 2018).

    Args:
        x: ``(N, D)``.
        y: ``(M, D)``.
        degree: Polynomial degree.
        gamma: Scale of the inner product; ``None`` means ``1 / D``.
        coef0: Additive constant.

    Returns:
        ``(N, M)``.
    """
    check_features(x, y)
    dtype = torch.promote_types(x.dtype, y.dtype)
    x, y = x.to(dtype), y.to(dtype)
    if gamma is None:
        gamma = 1.0 / x.shape[1]
    return (gamma * (x @ y.T) + coef0)**degree
