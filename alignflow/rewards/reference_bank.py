"""The reward's reference bank: the features of K target references, in flip views and patches."""
from typing import Callable, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

VIEWS = dict(id=lambda x: x, hflip=lambda x: x.flip(-1), vflip=lambda x: x.flip(-2),
             hvflip=lambda x: x.flip(-1).flip(-2))


def check_views(views: Sequence[str]) -> None:
    unknown = [v for v in views if v not in VIEWS]
    if unknown or not views:
        raise ValueError(f'unknown reference views {unknown or "(none)"}; choose from '
                         f'{sorted(VIEWS)}')


def flip_views(images: Tensor, views: Sequence[str]) -> Tensor:
    """Augmented copies of the references, any of :data:`VIEWS`.

    images: (K, C, H, W) -> (K * len(views), C, H, W).
    """
    check_views(views)
    return torch.cat([VIEWS[v](images) for v in views])


def image_patches(images: Tensor, size: int, stride: int) -> Tensor:
    """Every ``size`` x ``size`` patch of ``images`` on a grid of ``stride`` pixels.

    images: (B, C, H, W) -> (B * P, C, size, size), image-major (the P patches of image 0
    first), P = ((H - size) // stride + 1) * ((W - size) // stride + 1).
    """
    batch, channels, height, width = images.shape
    if size > min(height, width):
        raise ValueError(f'patch_size {size} is larger than the images ({height}x{width})')
    patches = F.unfold(images, size, stride=stride)  # (B, C * size * size, P)
    return patches.transpose(1, 2).reshape(-1, channels, size, size)


Embed = Callable[[Tensor], Tuple[Tensor, int]]


class ReferenceBank(nn.Module):
    """The references' features, embedded once: every flip view of each of K images (so that
    a handful of images covers orientation), each image as its grid of patches when
    ``patch_size`` is set (a distance between local appearance distributions, far better
    estimated from 5 images than from 5 pooled vectors).

    Args:
        views: reference augmentations, see :func:`flip_views`.
        patch_size: side of the patches features are computed on (None: whole images).
        patch_stride: step between patches (default: ``patch_size``, non-overlapping).
    """

    def __init__(self, views: Sequence[str] = ('id', 'hflip', 'vflip', 'hvflip'),
                 patch_size: Optional[int] = None, patch_stride: Optional[int] = None):
        super().__init__()
        check_views(views)
        self.views = tuple(views)
        if patch_size is not None and (patch_size < 1 or (patch_stride or 1) < 1):
            raise ValueError(f'patch_size {patch_size} and patch_stride {patch_stride} must be '
                             f'positive')
        self.patch_size = patch_size
        self.patch_stride = patch_stride or patch_size
        self.patches_per_image = 1
        self.register_buffer('features', torch.empty(0), persistent=False)

    @property
    def num_references(self) -> int:
        return self.features.shape[0] // (len(self.views) * self.patches_per_image)

    def units(self, images: Tensor) -> Tuple[Tensor, int]:
        """What features are computed on: (B, C, H, W) -> ((B * P, C, h, w), P), the patches
        of each image (P = 1 and the images themselves without ``patch_size``)."""
        if self.patch_size is None:
            return images, 1
        patches = image_patches(images, self.patch_size, self.patch_stride)
        return patches, patches.shape[0] // images.shape[0]

    @torch.no_grad()
    def fill(self, images: Tensor, embed: Embed) -> None:
        """Embed the (K, 3, H, W) references in every view with ``embed`` ((N, 3, H, W) ->
        ((N * P, D) features, P)): :attr:`features` becomes (V * K * P, D), view-major."""
        self.features, self.patches_per_image = embed(flip_views(images, self.views))

    def per_view(self) -> Tensor:
        """:attr:`features` as (V, K, P, D)."""
        return self.features.view(len(self.views), self.num_references, self.patches_per_image,
                                  -1)
