"""Optic disc and cup segmentation (REFUGE layout, three classes)."""
from alignflow.registry import DATASETS

from .image_mask import ImageMaskDataset


@DATASETS.register_module()
class FundusDiscCupDataset(ImageMaskDataset):
    """Fundus photographs with class-index masks: 0 background, 1 optic cup, 2 optic disc (the
    rim around the cup), in mmseg's REFUGE order; ``tools/dataset_converters/refuge.py`` writes
    them from the challenge's grey-level masks. Load masks with mmseg's ``LoadAnnotations``.

    The flow-matching generators and the synthetic sets are binary (one lesion class); this
    dataset serves real-only segmentation.
    """

    METAINFO = dict(classes=('background', 'optic_cup', 'optic_disc'),
                    palette=[[0, 0, 0], [255, 255, 0], [0, 0, 255]])
    BINARY_MASKS = False
