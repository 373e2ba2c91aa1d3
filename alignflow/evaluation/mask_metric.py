"""Statistics of generated masks against the real ones, in the val loop of a mask flow."""
from typing import Dict, List, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric

from alignflow.masks import (component_count, flatten_masks, foreground_fraction,
                             mean_pairwise_iou, nearest_iou)
from alignflow.registry import METRICS


@METRICS.register_module()
class MaskStatisticsMetric(BaseMetric):
    """How generated masks (``gen_mask`` of a ``MaskFlow``'s predictions, post-processed)
    compare with the real masks of the same batches:

    * ``rejected``: share refused by post-processing;
    * ``fg_fraction`` / ``fg_fraction_real``, ``components`` / ``components_real``: means;
    * ``diversity`` / ``diversity_real``: 1 - mean pairwise IoU (higher = more varied);
    * ``novelty_iou``: mean IoU of each generated mask with its nearest real one, and
      ``copies``: the share above ``copy_iou`` (near-copies of a real mask).

    Args:
        size: (H, W) the masks are compared at (nearest resize).
        copy_iou: IoU above which a generated mask counts as a copy.
    """

    default_prefix = 'mask'

    def __init__(self, size: Tuple[int, int] = (64, 64), copy_iou: float = 0.9, **kwargs):
        super().__init__(**kwargs)
        self.size = tuple(size)
        self.copy_iou = copy_iou

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'gen_mask' not in sample:
                raise KeyError('MaskStatisticsMetric needs a mask generator whose predict() '
                               'returns gen_mask (MaskFlow)')
            generated = sample['gen_mask']['data'][0].cpu().numpy()
            real = sample['gt_sem_seg']['data'][0].cpu().numpy()
            self.results.append((generated, real, bool(sample.get('mask_rejected'))))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        kept = [g for g, _, rejected in results if not rejected]
        real = [r for _, r, _ in results]
        metrics = dict(rejected=float(np.mean([rejected for *_, rejected in results])),
                       fg_fraction_real=float(np.mean([foreground_fraction(m) for m in real])),
                       components_real=float(np.mean([component_count(m) for m in real])),
                       diversity_real=1 - mean_pairwise_iou(flatten_masks(real, self.size)))
        if kept:
            flat = flatten_masks(kept, self.size)
            nearest = nearest_iou(flat, flatten_masks(real, self.size))
            metrics.update(fg_fraction=float(np.mean([foreground_fraction(m) for m in kept])),
                           components=float(np.mean([component_count(m) for m in kept])),
                           diversity=1 - mean_pairwise_iou(flat),
                           novelty_iou=float(nearest.mean()),
                           copies=float((nearest > self.copy_iou).mean()))
        return metrics
