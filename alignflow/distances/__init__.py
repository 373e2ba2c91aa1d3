"""Differentiable distances between feature sets, shared by rewards and metrics: MMD/KID,
Sinkhorn and sliced Wasserstein, Frechet distance, improved precision/recall, and the spread
of a set across images (its diversity).

Pure functions on ``(N, D)`` feature matrices (torch first, CPU/CUDA, float32/float64)."""
from .frechet import frechet_distance, frechet_distance_torch, gaussian_stats
from .kernels import median_bandwidth, pairwise_sq_dists, polynomial_kernel, rbf_kernel
from .mmd import DEFAULT_BANDWIDTH_FACTORS, kid, mmd2
from .precision_recall import precision_recall
from .spread import spread_across_images
from .wasserstein import sinkhorn_divergence, sliced_wasserstein

__all__ = [
    'pairwise_sq_dists', 'rbf_kernel', 'median_bandwidth', 'polynomial_kernel',
    'DEFAULT_BANDWIDTH_FACTORS', 'mmd2', 'kid', 'sinkhorn_divergence', 'sliced_wasserstein',
    'gaussian_stats', 'frechet_distance', 'frechet_distance_torch', 'precision_recall',
    'spread_across_images'
]
