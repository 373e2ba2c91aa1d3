"""Turn packed image–mask samples into the tensors a mask-conditioned flow consumes."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from alignflow.registry import MODELS


def mask_channels(num_classes: int) -> int:
    """Condition channels for a label map: 1 for binary masks, one per class otherwise."""
    if num_classes < 2:
        raise ValueError(f'num_classes must be >= 2 (background + foreground), got {num_classes}')
    return 1 if num_classes == 2 else num_classes


def encode_mask(label_map: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Encode a label map as condition channels in {-1, +1} (0 is kept for 'no condition').

    Args:
        label_map: (B, 1, H, W) or (B, H, W) integer class indices.
        num_classes: classes including background.

    Returns:
        (B, mask_channels(num_classes), H, W) float tensor: +1 where the class is present.
    """
    if label_map.dim() == 4:
        label_map = label_map[:, 0]
    label_map = label_map.long()
    if label_map.numel() and (label_map.min() < 0 or label_map.max() >= num_classes):
        raise ValueError(f'mask values must lie in [0, {num_classes - 1}], found '
                         f'[{int(label_map.min())}, {int(label_map.max())}]; check num_classes '
                         'and that masks were loaded with LoadBinaryMask')
    if num_classes == 2:
        return (label_map.float() * 2 - 1).unsqueeze(1)
    one_hot = F.one_hot(label_map, num_classes).permute(0, 3, 1, 2).float()
    return one_hot * 2 - 1


def decode_mask(cond: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`encode_mask`: (B, C, H, W) channels -> (B, H, W) class indices."""
    if cond.shape[1] == 1:
        return (cond[:, 0] > 0).long()
    return cond.argmax(dim=1)


@MODELS.register_module()
class PairDataPreprocessor(BaseDataPreprocessor):
    """Collate image–mask pairs for a mask-conditioned generator.

    Images (uint8, (3, H, W), BGR as loaded by mmcv) become RGB floats in [-1, 1]; the masks
    in ``data_samples[i].gt_sem_seg`` become condition channels (see :func:`encode_mask`).

    Returns ``dict(inputs=dict(img=(B, 3, H, W) or None, mask=(B, C, H, W)), data_samples=...)``.
    A batch without images (e.g. masks to paint) yields ``img=None``.

    Args:
        num_classes: classes in the masks, background included.
        bgr_to_rgb: flip the channel order of 3-channel images.
    """

    def __init__(self, num_classes: int = 2, bgr_to_rgb: bool = True,
                 non_blocking: bool = False):
        super().__init__(non_blocking=non_blocking)
        self.num_classes = num_classes
        self.bgr_to_rgb = bgr_to_rgb

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        data_samples: Optional[Sequence] = data.get('data_samples')
        if not data_samples:
            raise ValueError('PairDataPreprocessor needs data_samples carrying gt_sem_seg masks')
        masks = torch.stack([s.gt_sem_seg.data for s in data_samples])
        img = None
        inputs = data.get('inputs')
        if inputs is not None and len(inputs):
            img = torch.stack(list(inputs)) if isinstance(inputs, (list, tuple)) else inputs
            if self.bgr_to_rgb and img.shape[1] == 3:
                img = img[:, [2, 1, 0]]
            img = img.float() / 127.5 - 1.0
            if img.shape[-2:] != masks.shape[-2:]:
                raise ValueError(f'image batch {tuple(img.shape[-2:])} and mask batch '
                                 f'{tuple(masks.shape[-2:])} differ in size; resize both in the '
                                 'pipeline (Resize resizes gt_seg_map with the image)')
        return dict(inputs=dict(img=img, mask=encode_mask(masks, self.num_classes)),
                    data_samples=data_samples)
