"""Base class of the frozen feature extractors shared by rewards and metrics."""
import os
from abc import ABCMeta, abstractmethod
from typing import Optional

import torch
from torch import nn


class FeatureExtractor(nn.Module, metaclass=ABCMeta):
    """Frozen image -> feature-vector map that stays differentiable w.r.t. its input.

    Input convention of every extractor: ``images`` (B, 3, H, W), RGB, floating point, in
    [-1, 1] (-1 black, 1 white) -- the range the generators produce and the data preprocessor
    feeds them. Values slightly outside the range (an unclipped generator output) are accepted.
    Output: (B, :attr:`feature_dim`) features.

    Frozen means: no parameter requires grad and the module is always in eval mode
    (:meth:`train` is a no-op that keeps eval), so batch norm statistics and dropout never
    change. Gradients still flow to ``images``: stage 2 backpropagates a reward computed on the
    features into the generator. Subclasses build their layers in ``__init__`` and end it with
    ``self._freeze()``; they implement :meth:`extract` and :attr:`feature_dim`.

    ``input_size``: the side every image is resized to inside the network (Inception's 299,
    DINO's 224), None for a network that takes any size; metrics read image sets at it.
    """

    input_size: Optional[int] = None

    @property
    @abstractmethod
    def feature_dim(self) -> int:
        """Length D of the feature vector."""

    @abstractmethod
    def extract(self, images: torch.Tensor) -> torch.Tensor:
        """Features of validated ``images`` (B, 3, H, W) in [-1, 1] -> (B, D)."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Embed ``images`` (B, 3, H, W) RGB in [-1, 1] into (B, D) features."""
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f'{type(self).__name__} expects RGB images (B, 3, H, W) in [-1, 1], '
                             f'got shape {tuple(images.shape)}')
        if not images.is_floating_point():
            raise TypeError(f'{type(self).__name__} expects floating-point images in [-1, 1], '
                            f'got {images.dtype}; convert uint8 images with x / 127.5 - 1')
        return self.extract(images)

    def train(self, mode: bool = True) -> 'FeatureExtractor':
        """Stay in eval mode whatever ``mode`` says (the extractor is frozen)."""
        return super().train(False)

    def _freeze(self) -> None:
        """Stop gradients to every parameter and switch to eval mode."""
        self.requires_grad_(False)
        self.train(False)


def weights_unavailable_message(name: str, source: str, error: Exception, url: str, env: str,
                                size: str = '') -> str:
    """How to get a pretrained extractor's weights file, for the error raised when ``source``
    (the path or URL tried) could not be loaded: ``name`` is the network ('FID Inception'),
    ``url`` its release, ``env`` the environment variable that names a local copy."""
    filename = os.path.basename(url)
    cache = os.path.join(torch.hub.get_dir(), 'checkpoints', filename)
    size = f' ({size})' if size else ''
    return (f'{name} weights could not be loaded from {source} ({error}). Download them once '
            f'from {url}{size} on a machine with internet access, then either put the file at '
            f'{cache} (the torch hub cache, used by default), set the environment variable '
            f'{env}=/path/to/{filename}, or pass weights="/path/to/{filename}". Only for tests '
            f'or a feature space that is not {name.split()[0]}: random_init=True.')
