"""Frechet distance between Gaussians fitted to feature sets (FID, Heusel et al., NeurIPS 2017).

``d^2 = ||mu_1 - mu_2||^2 + Tr(S_1) + Tr(S_2) - 2 Tr((S_1 S_2)^{1/2})``.
:func:`frechet_distance` reproduces pytorch-fid's ``calculate_frechet_distance`` (numpy/scipy,
for reporting); :func:`frechet_distance_torch` is a differentiable torch version (for rewards).
"""
import warnings
from typing import Tuple, Union

import numpy as np
import torch
from scipy import linalg
from torch import Tensor

__all__ = ['gaussian_stats', 'frechet_distance', 'frechet_distance_torch']

ArrayLike = Union[np.ndarray, Tensor]


def gaussian_stats(features: Tensor) -> Tuple[Tensor, Tensor]:
    """Mean and unbiased covariance (as ``numpy.cov(features, rowvar=False)``) in float64.

    Args:
        features: ``(N, D)``, ``N >= 2``; differentiable.

    Returns:
        ``mu: (D,)`` and ``sigma: (D, D)``, float64, on the device of ``features``.
    """
    if features.dim() != 2 or features.shape[0] < 2:
        raise ValueError(f'gaussian_stats needs features of shape (N, D) with N >= 2, got '
                         f'{tuple(features.shape)}')
    features = features.to(torch.float64)
    mu = features.mean(dim=0)
    centred = features - mu
    sigma = centred.T @ centred / (features.shape[0] - 1)
    return mu, sigma


def _to_numpy(a: ArrayLike) -> np.ndarray:
    if isinstance(a, Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


def frechet_distance(mu1: ArrayLike,
                     sigma1: ArrayLike,
                     mu2: ArrayLike,
                     sigma2: ArrayLike,
                     eps: float = 1e-6) -> float:
    """Frechet distance ``||mu1 - mu2||^2 + Tr(S1) + Tr(S2) - 2 Tr(sqrtm(S1 S2))``, computed as
    pytorch-fid's ``calculate_frechet_distance`` (numpy float64, ``scipy.linalg.sqrtm``).

    If ``sqrtm(S1 S2)`` is not finite (near-singular product), ``eps * I`` is added to both
    covariances and it is recomputed (with a warning); an imaginary part of the result whose
    diagonal exceeds ``1e-3`` raises ``ValueError``, a smaller one is dropped.

    Args:
        mu1: ``(D,)`` mean of the first set (numpy array or tensor).
        sigma1: ``(D, D)`` covariance of the first set.
        mu2: ``(D,)`` mean of the second set.
        sigma2: ``(D, D)`` covariance of the second set.
        eps: Diagonal offset of the fallback.

    Returns:
        The squared Frechet distance (what is reported as FID), a Python float.
    """
    mu1, mu2 = np.atleast_1d(_to_numpy(mu1)), np.atleast_1d(_to_numpy(mu2))
    sigma1, sigma2 = np.atleast_2d(_to_numpy(sigma1)), np.atleast_2d(_to_numpy(sigma2))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f'mean/covariance shapes differ: {mu1.shape} vs {mu2.shape}, '
                         f'{sigma1.shape} vs {sigma2.shape}')
    diff = mu1 - mu2
    covmean = linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        warnings.warn(f'FID calculation produces a singular product; adding {eps} to the '
                      f'diagonal of the covariance estimates')
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f'imaginary component {np.max(np.abs(covmean.imag))} in '
                             f'sqrtm(sigma1 @ sigma2)')
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def _psd_sqrt(sigma: Tensor) -> Tensor:
    """Symmetric PSD square root ``V diag(sqrt(max(l, 0))) V^T`` of ``sigma: (D, D)``."""
    eigvals, eigvecs = torch.linalg.eigh(sigma)
    return (eigvecs * eigvals.clamp_min(0).sqrt()) @ eigvecs.T


def frechet_distance_torch(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor) -> Tensor:
    """Differentiable Frechet distance with ``Tr((S1 S2)^{1/2}) = sum_i sqrt(l_i)``, ``l_i`` the
    eigenvalues of the symmetric PSD matrix ``S2^{1/2} S1 S2^{1/2}`` (same spectrum as ``S1 S2``).

    The square root is taken of ``sigma2``, so pass the fixed (reference) statistics second:
    gradients with respect to ``mu1``/``sigma1`` then only go through ``eigvalsh``, which is
    stable. Eigenvalues below ``D * finfo.eps * max|l|`` (numerical zeros, e.g. from
    rank-deficient few-shot covariances) count as 0 and get no gradient, which keeps the
    gradient of ``sqrt`` bounded. Use float64 (as :func:`gaussian_stats` returns) for metrics.

    Args:
        mu1: ``(D,)``.
        sigma1: ``(D, D)``, symmetric PSD.
        mu2: ``(D,)``.
        sigma2: ``(D, D)``, symmetric PSD.

    Returns:
        0-dim tensor, the squared Frechet distance.
    """
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.dim() != 2:
        raise ValueError(f'mean/covariance shapes differ or are not (D,), (D, D): '
                         f'{tuple(mu1.shape)} vs {tuple(mu2.shape)}, {tuple(sigma1.shape)} vs '
                         f'{tuple(sigma2.shape)}')
    root2 = _psd_sqrt(sigma2)
    product = root2 @ sigma1 @ root2
    eigvals = torch.linalg.eigvalsh(0.5 * (product + product.T))
    with torch.no_grad():
        tol = eigvals.abs().max() * eigvals.shape[0] * torch.finfo(eigvals.dtype).eps
        keep = eigvals > tol
    tr_covmean = eigvals[keep].sqrt().sum()
    diff = mu1 - mu2
    return diff.dot(diff) + sigma1.trace() + sigma2.trace() - 2.0 * tr_covmean
