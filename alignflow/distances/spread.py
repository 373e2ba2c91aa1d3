"""The spread of a feature set across images: the diversity figure of the generation metrics
and the quantity the rewards' diversity guard keeps up."""
import torch

from .kernels import pairwise_sq_dists


def spread_across_images(features: torch.Tensor, per_image: int = 1) -> torch.Tensor:
    """Mean Euclidean distance between features of *different* images.

    features: (N * P, D), image-major (the P features of image 0 first, as
    :func:`alignflow.rewards.base.image_patches` orders patches) -> scalar. Pairs from the same
    image (its patches) are left out, so that the figure is the variety between images, not
    within one; with ``per_image=1`` it is the mean distance between distinct rows. Squared
    distances come from :func:`pairwise_sq_dists` (guarded against cancellation); the root is
    ``sqrt(d^2 + 1e-12)``, so that two equal features (flat background patches) give a zero
    gradient instead of NaN, which :func:`torch.cdist` does not guarantee.
    """
    count = features.shape[0] // per_image
    if count < 2 or features.shape[0] != count * per_image:
        raise ValueError(f'spread_across_images needs features of 2 images or more, '
                         f'{per_image} per image; got {features.shape[0]} rows')
    x = features.double()
    distances = pairwise_sq_dists(x, x).add(1e-12).sqrt()
    image = torch.arange(count, device=features.device).repeat_interleave(per_image)
    different = image[:, None] != image[None]
    return distances[different].mean().to(features.dtype)
