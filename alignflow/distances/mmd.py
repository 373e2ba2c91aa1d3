"""Maximum mean discrepancy (Gretton et al., JMLR 2012) and the kernel inception distance
(Binkowski et al., ICLR 2018).

``MMD^2(P, Q) = E k(x, x') + E k(y, y') - 2 E k(x, y)``, estimated from ``x: (N, D) ~ P`` and
``y: (M, D) ~ Q`` either by the unbiased U-statistic (diagonals of ``Kxx`` and ``Kyy``
excluded; needs ``N, M >= 2``; can be negative) or the biased V-statistic (all entries; ``>= 0``
for a characteristic kernel; works with a single reference, ``M = 1``, at the price of a
positive bias ``(E k(x, x) - E k(x, x')) / N + (...) / M`` and a higher variance).
"""
from typing import Callable, Optional, Tuple, Union

import torch
from torch import Tensor

from .kernels import Bandwidths, check_features, median_bandwidth, polynomial_kernel, rbf_kernel

__all__ = ['DEFAULT_BANDWIDTH_FACTORS', 'mmd2', 'kid']

DEFAULT_BANDWIDTH_FACTORS: Tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
"""Multipliers of the median-heuristic bandwidth used when ``mmd2(..., bandwidths=None)``."""

KernelFn = Callable[..., Tensor]


def _kernel_fn(kernel: Union[str, KernelFn], bandwidths: Union[None, str, Bandwidths],
               x: Tensor, y: Tensor, kernel_kwargs: dict) -> KernelFn:
    if callable(kernel):
        return lambda a, b: kernel(a, b, **kernel_kwargs)
    if kernel == 'polynomial':
        if bandwidths is not None:
            raise ValueError('bandwidths only apply to the RBF kernel; use degree/gamma/coef0 '
                             'for kernel="polynomial"')
        return lambda a, b: polynomial_kernel(a, b, **kernel_kwargs)
    if kernel != 'rbf':
        raise ValueError(f'unknown kernel {kernel!r}: use "rbf", "polynomial" or a callable '
                         f'kernel(x, y) -> (N, M)')
    if bandwidths is None or isinstance(bandwidths, str):
        if bandwidths not in (None, 'median'):
            raise ValueError(f'bandwidths must be None, "median" or numbers, got {bandwidths!r}')
        factors = DEFAULT_BANDWIDTH_FACTORS if bandwidths is None else (1.0, )
        median = median_bandwidth(x, y)
        bandwidths = median * torch.tensor(factors, dtype=median.dtype, device=median.device)
    return lambda a, b: rbf_kernel(a, b, bandwidths, **kernel_kwargs)


def _mmd2_from_kernels(kxx: Tensor, kyy: Tensor, kxy: Tensor, unbiased: bool) -> Tensor:
    n, m = kxx.shape[0], kyy.shape[0]
    if unbiased:
        xx = (kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
        yy = (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
    else:
        xx, yy = kxx.mean(), kyy.mean()
    return xx + yy - 2.0 * kxy.mean()


def mmd2(x: Tensor,
         y: Tensor,
         kernel: Union[str, KernelFn] = 'rbf',
         bandwidths: Union[None, str, Bandwidths] = None,
         unbiased: bool = True,
         **kernel_kwargs) -> Tensor:
    """Squared MMD between the samples ``x`` and ``y``.

    Unbiased: ``sum_{i!=i'} k(x_i, x_i') / (N(N-1)) + sum_{j!=j'} k(y_j, y_j') / (M(M-1))
    - 2 sum_{ij} k(x_i, y_j) / (NM)``. Biased: the three means over all entries.

    Args:
        x: ``(N, D)``, e.g. features of generated images (gradients flow to it).
        y: ``(M, D)``, e.g. features of the references.
        kernel: ``'rbf'`` (:func:`rbf_kernel`), ``'polynomial'`` (:func:`polynomial_kernel`,
            ``degree``/``gamma``/``coef0`` through ``kernel_kwargs``) or a callable
            ``kernel(x, y, **kernel_kwargs) -> (N, M)``.
        bandwidths: RBF only. ``None`` (default): the median heuristic on the pooled set times
            :data:`DEFAULT_BANDWIDTH_FACTORS` ``(0.5, 1, 2, 4)``, which makes the estimate
            invariant to a rescaling of the features; ``'median'``: the median alone; numbers:
            absolute ``sigma`` values. The median is computed without gradient.
        unbiased: U-statistic (needs ``N, M >= 2``) or V-statistic.

    Returns:
        0-dim tensor.
    """
    check_features(x, y)
    n, m = x.shape[0], y.shape[0]
    if unbiased and (n < 2 or m < 2):
        raise ValueError(f'the unbiased MMD estimator needs at least 2 samples per set, got '
                         f'N={n} and M={m}; pass unbiased=False for the biased estimator '
                         f'(works with a single reference, with a higher variance)')
    k = _kernel_fn(kernel, bandwidths, x, y, kernel_kwargs)
    return _mmd2_from_kernels(k(x, x), k(y, y), k(x, y), unbiased)


def kid(x: Tensor,
        y: Tensor,
        num_subsets: int = 100,
        subset_size: int = 1000,
        generator: Optional[torch.Generator] = None) -> Tuple[Tensor, Tensor]:
    """Kernel inception distance: the unbiased polynomial-kernel MMD^2 (degree 3, ``gamma=1/D``,
    ``coef0=1``) averaged over random subsets, as in Binkowski et al. (2018) and
    torch-fidelity's ``kid_features_to_metric``.

    Each subset draws ``m = min(subset_size, N, M)`` rows of ``x`` and of ``y`` without
    replacement. Compute in float64 for metric-grade numbers.

    Args:
        x: ``(N, D)``, e.g. Inception features of generated images.
        y: ``(M, D)``, e.g. Inception features of real images.
        num_subsets: Number of random subsets.
        subset_size: Largest subset size.
        generator: Source of the subset indices (its device is used for sampling); seeded, it
            makes the result deterministic.

    Returns:
        ``(mean, std)`` over subsets, 0-dim tensors; ``std`` is the population standard
        deviation (``ddof=0``, as torch-fidelity).
    """
    check_features(x, y)
    n, m = x.shape[0], y.shape[0]
    if n < 2 or m < 2:
        raise ValueError(f'KID needs at least 2 samples per set, got N={n} and M={m}')
    if num_subsets < 1 or subset_size < 2:
        raise ValueError(f'KID needs num_subsets >= 1 and subset_size >= 2, got '
                         f'{num_subsets} and {subset_size}')
    size = min(subset_size, n, m)
    device = generator.device if generator is not None else torch.device('cpu')
    values = []
    for _ in range(num_subsets):
        ix = torch.randperm(n, generator=generator, device=device)[:size].to(x.device)
        iy = torch.randperm(m, generator=generator, device=device)[:size].to(y.device)
        xs, ys = x[ix], y[iy]
        values.append(
            _mmd2_from_kernels(
                polynomial_kernel(xs, xs), polynomial_kernel(ys, ys), polynomial_kernel(xs, ys),
                unbiased=True))
    values = torch.stack(values)
    return values.mean(), values.std(unbiased=False)
