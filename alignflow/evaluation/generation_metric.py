"""FID/KID/MMD/precision/recall of generated images against a real image set, in the val loop."""
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from alignflow.datasets.references import list_images, resolve_image_folder, split_references
from alignflow.registry import METRICS
from .feature_extraction import FeatureCache
from .feature_spaces import build_feature_space
from .generation_metrics import compute_generation_metrics


@METRICS.register_module()
class GenerationMetric(BaseMetric):
    """Distances between what a generator paints (``gen_img`` of its predictions) and real
    images, in a named feature space.

    Generated features are extracted batch by batch in ``process`` (memory flat in the number
    of images); real features once per folder content (cached on disk).

    Args:
        real: folder of real images (or with ``images/``), or a dataset config.
        feature_space: see :data:`alignflow.evaluation.feature_spaces.FEATURE_SPACES`.
        metrics: any of fid, kid, mmd, precision, recall.
        exclude_references: ``dict(k, seed, list_file)`` of a stage-2 run: those references
            are removed from the real set, so the metric is measured on held-out images.
        weights: weights of the 'inception' space.
        max_real: use at most this many real images (evenly spaced), None for all.
    """

    default_prefix = 'gen'

    def __init__(self, real: Union[str, dict], feature_space: str = 'randomconv',
                 metrics: Sequence[str] = ('kid', 'mmd'),
                 exclude_references: Optional[dict] = None, weights: Optional[str] = None,
                 max_real: Optional[int] = None, kid_subsets: int = 100,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.real = real
        self.feature_space = feature_space
        self.metrics = tuple(metrics)
        self.exclude_references = exclude_references
        self.weights = weights
        self.max_real = max_real
        self.kid_subsets = kid_subsets
        self.extractor, self.extractor_id = build_feature_space(feature_space, weights)
        self._size = None

    def real_paths(self) -> List[Path]:
        paths = list_images(resolve_image_folder(self.real))
        if self.exclude_references is not None:
            paths = list(split_references(paths, **self.exclude_references).heldout)
        if self.max_real is not None and len(paths) > self.max_real:
            paths = [paths[i] for i in np.linspace(0, len(paths) - 1, self.max_real).astype(int)]
        return paths

    @torch.no_grad()
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        images = torch.stack([s['gen_img']['data'] for s in data_samples]).float() / 127.5 - 1
        self._size = tuple(images.shape[-2:])
        device = next(iter(self.extractor.buffers()), images).device
        features = self.extractor(images.to(device)).double().cpu().numpy()
        self.results.extend(features)

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        paths = self.real_paths()
        real = FeatureCache().get_or_compute(paths, self.extractor, self.extractor_id,
                                             self._size, progress=False)
        print_log(f'GenerationMetric: {len(results)} generated vs {len(paths)} real images '
                  f'at {self._size[0]}x{self._size[1]} in the {self.feature_space} space',
                  logger='current')
        return compute_generation_metrics(np.stack(results), real, self.metrics,
                                          self.feature_space, kid_subsets=self.kid_subsets)
