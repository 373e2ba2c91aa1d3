"""Classifier two-sample test (C2ST): do generated images look like the target domain?

Distances between feature statistics (KID, MMD, FID) can fall while images still look like the
source hospital. A C2ST asks the question directly: a small CNN is trained to tell real
*source* images from real *held-out target* images (never the references: evaluation may use
held-out images, the method may not), and is then shown the generated images. Reported:

* ``c2st_target_share``: the share of generated images the classifiers call target (mean over
  classifier seeds, and its std); an aligned generator should approach the share of real
  held-out target images, which is the classifiers' accuracy on target;
* ``c2st_accuracy``: the classifiers' balanced accuracy on the images they did not train on
  (half of each set): how separable the two real domains are at this resolution (about 0.5 for
  one distribution; the share means little when it is near 0.5).

That test asks "which domain?": colour and texture statistics can satisfy it while the images
carry artifacts no real frame has. :func:`real_vs_generated` is the two-sample test in
Lopez-Paz and Oquab's sense, "real or generated?": a classifier trained to tell generated images
from real target images, scored on the halves it did not train on
(``real_vs_generated_accuracy``: 0.5 when it cannot tell them apart, 1 when it always can).

Trained classifiers are cached on disk, keyed by both image sets (file names, sizes, mtimes),
the resolution, the seeds and the recipe. The network and its training loop are written here
(about 40 lines): no library provides a two-sample classifier on image folders.
"""
import hashlib
import io
import json
import os
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from alignflow.utils.atomic_io import write_bytes_atomic

from .feature_extraction import folder_fingerprint
from .image_stream import iter_batches, read_image

RECIPE_VERSION = 1
Images = Union[torch.Tensor, Sequence[Path]]


class DomainClassifier(nn.Module):
    """(B, 3, H, W) in [-1, 1] -> (B,) logit of "target": three stride-2 conv blocks
    (16, 32, 64 channels), global average pooling, a linear head."""

    def __init__(self, widths: Sequence[int] = (16, 32, 64)):
        super().__init__()
        layers, channels = [], 3
        for width in widths:
            layers += [nn.Conv2d(channels, width, 3, stride=2, padding=1),
                       nn.GroupNorm(4, width), nn.LeakyReLU(0.2)]
            channels = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images).mean(dim=(2, 3)))[:, 0]


def as_float_images(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) uint8 in [0, 255] -> float32 in [-1, 1]; float images pass unchanged."""
    if images.dtype == torch.uint8:
        return images.float() / 127.5 - 1.0
    return images


def read_uint8(paths: Sequence[Path], size: Tuple[int, int]) -> torch.Tensor:
    """The training set of a classifier, (N, 3, H, W) uint8 at ``size``: one full-size image
    decoded at a time, a quarter of the memory of float images."""
    return torch.from_numpy(np.stack([read_image(Path(p), size) for p in paths])
                            ).permute(0, 3, 1, 2).contiguous()


def _halves(count: int, generator: torch.Generator) -> Tuple[torch.Tensor, torch.Tensor]:
    order = torch.randperm(count, generator=generator)
    return order[:(count + 1) // 2], order[(count + 1) // 2:]


def train_domain_classifier(source: torch.Tensor, target: torch.Tensor, seed: int,
                            steps: int = 300, batch_size: int = 32,
                            lr: float = 2e-3) -> Tuple[DomainClassifier, float]:
    """Train on half of each set (balanced batches, random flips), score the other halves.

    Args:
        source, target: (N, 3, H, W) and (M, 3, H, W) real images, float in [-1, 1] or
            uint8 (a quarter of the memory; converted a batch at a time), N, M >= 2.
        seed: seeds the split, the initial weights and the batches.

    Returns:
        The classifier (eval mode) and its balanced accuracy on the held-out halves.
    """
    if len(source) < 2 or len(target) < 2:
        raise ValueError(f'C2ST needs at least 2 source and 2 target images, got {len(source)} '
                         f'and {len(target)}')
    generator = torch.Generator().manual_seed(seed)
    (src_train, src_test), (tgt_train, tgt_test) = (_halves(len(source), generator),
                                                    _halves(len(target), generator))
    torch.manual_seed(seed)
    model = DomainClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    half = max(batch_size // 2, 1)
    for _ in range(steps):
        pick_s = src_train[torch.randint(len(src_train), (half, ), generator=generator)]
        pick_t = tgt_train[torch.randint(len(tgt_train), (half, ), generator=generator)]
        images = as_float_images(torch.cat([source[pick_s], target[pick_t]]))
        flips = torch.rand(len(images), 2, generator=generator) < 0.5
        images = torch.where(flips[:, 0, None, None, None], images.flip(-1), images)
        images = torch.where(flips[:, 1, None, None, None], images.flip(-2), images)
        labels = torch.cat([torch.zeros(half), torch.ones(half)])
        loss = F.binary_cross_entropy_with_logits(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        on_source = (predict_target(model, source[src_test]) < 0.5).float().mean()
        on_target = (predict_target(model, target[tgt_test]) >= 0.5).float().mean()
    return model, float((on_source + on_target) / 2)


@torch.no_grad()
def predict_target(model: nn.Module, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Probability (N,) that each of the (N, 3, H, W) ``images`` (float in [-1, 1] or uint8)
    is from the target domain, ``batch_size`` images at a time."""
    return torch.cat([torch.sigmoid(model(as_float_images(images[i:i + batch_size])))
                      for i in range(0, len(images), batch_size)])


class C2ST:
    """Classifiers of source vs target (one per seed), trained once and cached.

    Args:
        source_paths, target_paths: real source and held-out target image files.
        size: (H, W) everything is read at (the generator's resolution).
        seeds: classifier seeds (the spread over them is reported).
        steps: training steps per classifier.
        cache_dir: default ``$ALIGNFLOW_CACHE/c2st`` (else ``~/.cache/alignflow/c2st``);
            None for the default, ``False`` for no cache.
    """

    def __init__(self, source_paths: Sequence[Path], target_paths: Sequence[Path],
                 size: Tuple[int, int], seeds: Sequence[int] = (0, 1, 2), steps: int = 300,
                 cache_dir=None):
        self.size, self.seeds, self.steps = tuple(size), tuple(seeds), steps
        key = json.dumps([RECIPE_VERSION, folder_fingerprint(source_paths),
                          folder_fingerprint(target_paths), self.size, self.seeds, steps])
        if cache_dir is None:
            root = os.environ.get('ALIGNFLOW_CACHE') or Path.home() / '.cache' / 'alignflow'
            cache_dir = Path(root).expanduser() / 'c2st'
        cache = (Path(cache_dir) / (hashlib.sha1(key.encode()).hexdigest()[:16] + '.pth')
                 if cache_dir is not False else None)
        self.models: List[DomainClassifier] = []
        self.accuracies: List[float] = []
        if cache is not None and cache.is_file():
            saved = torch.load(cache, map_location='cpu', weights_only=True)
            for state in saved['models']:
                model = DomainClassifier()
                model.load_state_dict(state)
                self.models.append(model.eval())
            self.accuracies = list(saved['accuracies'])
            return
        source = read_uint8(source_paths, self.size)
        target = read_uint8(target_paths, self.size)
        for seed in self.seeds:
            model, accuracy = train_domain_classifier(source, target, seed, steps)
            self.models.append(model)
            self.accuracies.append(accuracy)
        if cache is not None:
            buffer = io.BytesIO()
            torch.save(dict(models=[m.state_dict() for m in self.models],
                            accuracies=self.accuracies), buffer)
            write_bytes_atomic(buffer.getvalue(), cache)

    def target_shares(self, images: Images, batch_size: int = 256) -> List[float]:
        """Per classifier, the share of ``images`` it calls target: (N, 3, H, W) in [-1, 1],
        or image files, streamed ``batch_size`` at a time at :attr:`size`."""
        if isinstance(images, torch.Tensor):
            probabilities = [predict_target(m, images.float()) for m in self.models]
        else:
            batches = [[] for _ in self.models]
            for batch in iter_batches(list(images), self.size, batch_size):
                for model, kept in zip(self.models, batches):
                    kept.append(predict_target(model, batch))
            probabilities = [torch.cat(kept) for kept in batches]
        return [float((p >= 0.5).float().mean()) for p in probabilities]

    def report(self, images: Images, prefix: str = 'c2st') -> Dict[str, float]:
        """``{prefix}_target_share`` (+ ``_std``), ``{prefix}_accuracy`` (+ ``_std``) of
        ``images`` (see :meth:`target_shares`)."""
        shares = self.target_shares(images)
        return {f'{prefix}_target_share': float(np.mean(shares)),
                f'{prefix}_target_share_std': float(np.std(shares)),
                f'{prefix}_accuracy': float(np.mean(self.accuracies)),
                f'{prefix}_accuracy_std': float(np.std(self.accuracies))}


def real_vs_generated(generated: torch.Tensor, real: torch.Tensor,
                      seeds: Sequence[int] = (0, 1, 2), steps: int = 300) -> Dict[str, float]:
    """Lopez-Paz and Oquab's C2ST between generated and real images: per seed, a
    :class:`DomainClassifier` trained on half of each set to tell them apart, and its balanced
    accuracy on the other halves (:func:`train_domain_classifier`, generated images in the
    role of "source").

    Args:
        generated, real: (N, 3, H, W) and (M, 3, H, W), uint8 or float in [-1, 1], N, M >= 2.
        seeds: classifier seeds; the spread over them is reported.

    Returns:
        ``real_vs_generated_accuracy`` (mean over seeds: 0.5 = indistinguishable) and
        ``real_vs_generated_accuracy_std``.
    """
    accuracies = [train_domain_classifier(generated, real, seed, steps)[1] for seed in seeds]
    return dict(real_vs_generated_accuracy=float(np.mean(accuracies)),
                real_vs_generated_accuracy_std=float(np.std(accuracies)))
