"""Polyp segmentation (Kvasir-SEG, CVC-ClinicDB layouts)."""
from alignflow.registry import DATASETS

from .image_mask import ImageMaskDataset


@DATASETS.register_module()
class PolypDataset(ImageMaskDataset):
    """Colonoscopy frames with binary polyp masks, e.g. Kvasir-SEG (JPG) or CVC-ClinicDB (PNG)."""

    METAINFO = dict(classes=('background', 'polyp'), palette=[[0, 0, 0], [255, 0, 0]])
