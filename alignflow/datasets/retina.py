"""Retinal vessel segmentation (DRIVE layout)."""
from alignflow.registry import DATASETS

from .image_mask import ImageMaskDataset


@DATASETS.register_module()
class RetinalVesselDataset(ImageMaskDataset):
    """Fundus photographs with binary vessel masks, DRIVE layout (stems like ``21_training``).

    Only ``images/`` and ``masks/`` are read; a ``fov/`` folder of field-of-view masks is ignored.
    """

    METAINFO = dict(classes=('background', 'vessel'), palette=[[0, 0, 0], [255, 255, 255]])
