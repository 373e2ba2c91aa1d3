"""Synthetic pairs as mmseg data, and the real + synthetic mix that segmentors train on."""
import copy
import json
import math
import random
from pathlib import Path
from typing import Optional, Union

from mmengine.dataset import ConcatDataset

from alignflow.registry import DATASETS
from .image_mask import ImageMaskDataset


@DATASETS.register_module()
class SyntheticSegDataset(ImageMaskDataset):
    """A folder written by ``tools/synthesize.py`` (``images/`` + ``masks/`` + manifest), read
    like any image-mask dataset. Each sample's metainfo says it is synthetic
    (``synthetic=True``), so logs and hooks can tell the two apart.

    Args:
        data_root: the synthesis folder; it must hold the ``synthesis.json`` the tool writes
            (pass ``require_provenance=False`` for pairs made otherwise).
        max_pairs: use the first ``max_pairs`` pairs (by index), None for all.
        **kwargs: see :class:`ImageMaskDataset`.
    """

    def __init__(self, data_root: str, max_pairs: Optional[int] = None,
                 require_provenance: bool = True, **kwargs):
        provenance = Path(data_root) / 'synthesis.json'
        if require_provenance and not provenance.is_file():
            raise FileNotFoundError(
                f'{data_root} has no synthesis.json: write synthetic pairs with '
                f'`python tools/synthesize.py ... --out-dir {data_root}`, or set '
                f'require_provenance=False for a folder of pairs made otherwise')
        self.provenance = json.loads(provenance.read_text()) if provenance.is_file() else {}
        self.max_pairs = max_pairs
        super().__init__(data_root=data_root, **kwargs)

    def load_data_list(self):
        data_list = super().load_data_list()
        if self.max_pairs is not None:
            data_list = data_list[:self.max_pairs]
        for item in data_list:
            item['synthetic'] = True
        return data_list


@DATASETS.register_module()
class RealSyntheticMix(ConcatDataset):
    """Real and synthetic pairs in one training set, mmengine's ``ConcatDataset`` of the two,
    with ``synthetic_ratio`` synthetic pairs per real pair.

    More synthetic pairs than the ratio asks are subsampled (seeded); fewer are repeated (each
    pair as often as needed, then subsampled), through mmengine's ``get_subset``. Both must
    label the same classes; the mix keeps the real dataset's class names, which mmseg's
    metrics report.

    Args:
        real: config of the real dataset.
        synthetic: config of the synthetic one (e.g. ``SyntheticSegDataset``); it gets the
            real dataset's ``pipeline`` unless it sets its own.
        synthetic_ratio: synthetic pairs per real pair (0 for real only).
        seed: seed of the subsampling.
    """

    def __init__(self, real: Union[dict, object], synthetic: Union[dict, object],
                 synthetic_ratio: float = 1.0, seed: int = 0, **kwargs):
        if synthetic_ratio < 0:
            raise ValueError(f'synthetic_ratio must be >= 0, got {synthetic_ratio}')
        pipeline = copy.deepcopy(real.get('pipeline', [])) if isinstance(real, dict) else \
            real.pipeline.transforms
        real = DATASETS.build(real) if isinstance(real, dict) else real
        if isinstance(synthetic, dict):
            synthetic = copy.deepcopy(synthetic)
            synthetic.setdefault('pipeline', pipeline)
            synthetic = DATASETS.build(synthetic)
        if len(synthetic.metainfo['classes']) != len(real.metainfo['classes']):
            raise ValueError(f'the synthetic dataset has {len(synthetic.metainfo["classes"])} '
                             f'classes and the real one {len(real.metainfo["classes"])}; they '
                             f'must label the same classes')
        wanted = round(synthetic_ratio * len(real))
        available = len(synthetic)
        if wanted and not available:
            raise ValueError(f'the synthetic dataset {synthetic.data_root} is empty')
        indices = list(range(available)) * math.ceil(wanted / available) if wanted else []
        chosen = sorted(random.Random(seed).sample(indices, wanted)) if wanted else []
        self.num_real, self.num_synthetic = len(real), len(chosen)
        datasets = [real] + ([synthetic.get_subset(chosen)] if chosen else [])
        # Same labels, other names (mmseg lets a dataset only narrow its METAINFO classes):
        # the mix keeps the real dataset's names.
        kwargs.setdefault('ignore_keys', ['classes', 'palette'])
        super().__init__(datasets, **kwargs)
