"""FID/KID/MMD/precision/recall of generated images against a real image set, in the val loop."""
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from alignflow.datasets.references import list_images, resolve_image_folder
from alignflow.distances import spread_across_images
from alignflow.features import high_frequency_energy
from alignflow.features.encoders import RandomConvFeatures
from alignflow.registry import METRICS
from .c2st import C2ST, read_uint8, real_vs_generated
from .feature_extraction import FeatureCache, extract_features
from .feature_spaces import build_feature_space
from .generation_metrics import compute_generation_metrics

# Seeds of the random CNNs of ``diversity_networks``: far from those any config of this
# repository gives a reward or guard (0-9), so a guard is never judged in its own network.
DIVERSITY_NETWORK_SEEDS_FROM = 1000


@METRICS.register_module()
class GenerationMetric(BaseMetric):
    """Distances between what a generator paints (``gen_img`` of its predictions) and real
    images, in a named feature space; also the high-frequency energy (mean |Laplacian|, a
    speckle detector) and the diversity (mean pairwise feature distance) of both sets.

    Generated features are extracted batch by batch in ``process`` (memory flat in the number
    of images); real features once per folder content (cached on disk).

    Args:
        real: folder of real images (or with ``images/``), a dataset config, or a list of
            image files. In a stage-2 config, None: the held-out images of the config's
            ``reference_split`` (filled in by :func:`alignflow.apis.prepare_reference_split`,
            so the references are never among them).
        feature_space: see :data:`alignflow.evaluation.feature_spaces.FEATURE_SPACES`.
        measures: any of fid, kid, mmd, precision, recall (not named ``metrics``: mmengine
            reads a config dict with a ``metrics`` key as an Evaluator), and ``c2st``: the
            share of generated images that classifiers of real source vs these real images
            call target (see :mod:`alignflow.evaluation.c2st`); needs ``c2st_source``; and
            ``real_vs_generated``: the held-out accuracy of classifiers of generated vs these
            real images (0.5: they cannot tell them apart), with its spread over
            ``c2st_seeds``.
        c2st_source: real *source* images for ``c2st`` (a folder, a dataset config or a list
            of files), e.g. the stage-1 training set.
        c2st_seeds: classifier seeds (the spread over them is reported).
        c2st_steps: training steps per classifier.
        weights: weights of the 'inception' or 'dino' space.
        max_real: use at most this many real images (evenly spaced), None for all.
        diversity_networks: also measure the diversity in this many random CNNs of their own
            (seeds from :data:`DIVERSITY_NETWORK_SEEDS_FROM`), as the ratio of the generated
            images' spread to the real ones' in each: ``diversity_ratio`` (mean over them),
            ``_std`` and ``_min``. A random CNN's spread describes the network as well as the
            images: at 64 px stage 1 reads level with real target images in the default space
            and 11% under them on the mean of 10 such networks (docs/notes/study_log.md), so one
            network does not settle whether a generator is as varied as the target. 0: off.
    """

    default_prefix = 'gen'

    def __init__(self, real: Union[str, dict, Sequence[str], None],
                 feature_space: str = 'randomconv', measures: Sequence[str] = ('kid', 'mmd'),
                 weights: Optional[str] = None,
                 max_real: Optional[int] = None, kid_subsets: int = 100,
                 c2st_source: Union[str, dict, Sequence[str], None] = None,
                 c2st_seeds: Sequence[int] = (0, 1, 2), c2st_steps: int = 300,
                 diversity_networks: int = 0,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if real is None:
            raise ValueError('GenerationMetric: real=None is filled in by '
                             'alignflow.apis.build_runner (the held-out images of the config\'s '
                             'reference_split, or the training images of a stage-1 config); '
                             'built by hand, it needs real set to a folder of real images')
        if isinstance(real, str) and not Path(real).is_dir():
            raise FileNotFoundError(f'GenerationMetric: real image folder {real} does not exist; '
                                    'set it in the config (e.g. --cfg-options '
                                    'val_evaluator.1.real=/path/to/images)')
        self.real = real
        self.feature_space = feature_space
        self.measures = tuple(measures)
        self.weights = weights
        self.max_real = max_real
        self.kid_subsets = kid_subsets
        if 'c2st' in self.measures and c2st_source is None:
            raise ValueError("GenerationMetric: measures has 'c2st' but no c2st_source (real "
                             'images of the source domain, e.g. the stage-1 training set)')
        self.c2st_source = c2st_source
        self.c2st_seeds, self.c2st_steps = tuple(c2st_seeds), c2st_steps
        self._c2st: Dict[tuple, C2ST] = {}
        self._real_uint8: Dict[tuple, torch.Tensor] = {}
        if diversity_networks < 0:
            raise ValueError(f'GenerationMetric: diversity_networks must be >= 0 (0: off), got '
                             f'{diversity_networks}')
        self.diversity_networks = diversity_networks
        self.extractor, self.extractor_id = build_feature_space(feature_space, weights)
        self._size = None

    def real_paths(self) -> List[Path]:
        paths = _image_files(self.real)
        if self.max_real is not None and len(paths) > self.max_real:
            paths = [paths[i] for i in np.linspace(0, len(paths) - 1, self.max_real).astype(int)]
        return paths

    @torch.no_grad()
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        images = torch.stack([s['gen_img']['data'] for s in data_samples]).float() / 127.5 - 1
        self._size = tuple(images.shape[-2:])
        device = next(iter(self.extractor.buffers()), images).device
        features = self.extractor(images.to(device)).double().cpu().numpy()
        hf_energy = high_frequency_energy(images).double().numpy()
        # The images themselves too for the C2ST and the diversity in other networks, as
        # uint8, so that they are gathered from every process with the other results.
        keep = bool({'c2st', 'real_vs_generated'} & set(self.measures)) or \
            self.diversity_networks > 0
        kept = [s['gen_img']['data'].cpu().numpy() if keep else None for s in data_samples]
        self.results.extend(zip(features, hf_energy, kept))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        paths = self.real_paths()
        real = FeatureCache().get_or_compute(paths, self.extractor, self.extractor_id,
                                             self._size, progress=False)
        fake = np.stack([features for features, *_ in results])
        print_log(f'GenerationMetric: {len(fake)} generated vs {len(paths)} real images '
                  f'at {self._size[0]}x{self._size[1]} in the {self.feature_space} space',
                  logger='current')
        distances = [m for m in self.measures if m not in ('c2st', 'real_vs_generated')]
        metrics = compute_generation_metrics(fake, real, distances, self.feature_space,
                                             kid_subsets=self.kid_subsets)
        if 'c2st' in self.measures:
            if self._size not in self._c2st:  # built (or loaded) once per run and size
                self._c2st[self._size] = C2ST(_image_files(self.c2st_source), paths,
                                              self._size, self.c2st_seeds, self.c2st_steps)
            metrics.update(self._c2st[self._size].report(_kept_images(results)))
        if 'real_vs_generated' in self.measures:
            if self._size not in self._real_uint8:  # read once per run and size
                self._real_uint8[self._size] = read_uint8(paths, self._size)
            generated = torch.from_numpy(np.stack([image for *_, image in results]))
            metrics.update(real_vs_generated(generated, self._real_uint8[self._size],
                                             self.c2st_seeds, self.c2st_steps))
        if self.diversity_networks:
            ratios = diversity_ratios(_kept_images(results), paths, self._size,
                                      self.diversity_networks)
            metrics.update(diversity_ratio=float(ratios.mean()),
                           diversity_ratio_std=float(ratios.std()),
                           diversity_ratio_min=float(ratios.min()))
        real_hf = FeatureCache().get_or_compute(paths, HighFrequencyEnergy(), 'hf_energy',
                                                self._size, progress=False)
        metrics.update(hf_energy=float(np.mean([hf for _, hf, _ in results])),
                       hf_energy_real=float(real_hf.mean()),
                       diversity=image_spread(fake),
                       diversity_real=image_spread(real))
        return metrics


def _kept_images(results: List[tuple]) -> torch.Tensor:
    """The generated images kept by ``process``: (N, 3, H, W) float in [-1, 1]."""
    return torch.from_numpy(np.stack([image for *_, image in results])).float() / 127.5 - 1


def diversity_ratios(generated: Union[torch.Tensor, Sequence[Path]], real: Sequence[Path],
                     size: Sequence[int], count: int) -> np.ndarray:
    """(count,) ratios of the spread of the ``generated`` images to that of the ``real`` image
    files (resized to ``size``), one per random CNN of seed
    :data:`DIVERSITY_NETWORK_SEEDS_FROM` + i (real features cached on disk).

    ``generated``: (N, 3, H, W) images in [-1, 1], or image files, streamed batch by batch at
    ``size``.
    """
    ratios = []
    for seed in range(DIVERSITY_NETWORK_SEEDS_FROM, DIVERSITY_NETWORK_SEEDS_FROM + count):
        network = RandomConvFeatures(seed=seed)
        real_features = FeatureCache().get_or_compute(
            real, network, f'diversity:RandomConvFeatures(seed={seed})', tuple(size),
            progress=False)
        if isinstance(generated, torch.Tensor):
            with torch.no_grad():
                fake = network(generated).double().numpy()
        else:
            fake = extract_features(network, generated, tuple(size), progress=False)
        ratios.append(image_spread(fake) / image_spread(real_features))
    return np.array(ratios)


def _image_files(source) -> List[Path]:
    """The image files of a folder, a dataset config, or a list of files."""
    if isinstance(source, (list, tuple)):
        return [Path(p) for p in source]
    return list_images(resolve_image_folder(source))


class HighFrequencyEnergy(torch.nn.Module):
    """:func:`high_frequency_energy` as a one-dimensional feature, (B, 3, H, W) -> (B, 1), so
    that the real images' values are cached with their features instead of re-read at every
    validation."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return high_frequency_energy(images)[:, None]


def image_spread(features: np.ndarray) -> float:
    """The diversity of a set of (N, D) image features: their
    :func:`~alignflow.distances.spread_across_images` (0 for fewer than two images), the figure
    the rewards' diversity guard keeps up."""
    if len(features) < 2:
        return 0.0
    return float(spread_across_images(torch.from_numpy(features).double()))
