"""Held-out flow-matching loss as an mmengine metric."""
from typing import Dict, List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from alignflow.registry import METRICS


@METRICS.register_module()
class FlowMatchingLossMetric(BaseMetric):
    """Mean held-out flow-matching loss of a generator's ``predict`` outputs.

    ``MaskConditionedFlow.predict`` stores ``fm_loss`` per sample: the MSE between predicted
    and target velocity at fixed times with noise seeded by the file name, so the number is
    deterministic and comparable across checkpoints (lower is better).
    """

    default_prefix = 'gen'

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for data_sample in data_samples:
            if 'fm_loss' not in data_sample:
                raise KeyError('FlowMatchingLossMetric needs samples with real images: the '
                               'generator reports fm_loss only when the batch has images')
            self.results.append(float(data_sample['fm_loss']))

    def compute_metrics(self, results: List[float]) -> Dict[str, float]:
        return dict(fm_loss=float(np.mean(results)), num_samples=len(results))
