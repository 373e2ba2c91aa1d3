"""Loading transforms that check image-mask pairs and fail with messages naming the file."""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform, LoadImageFromFile
from mmengine import fileio

from alignflow.registry import TRANSFORMS

from .mask_io import check_mask


@TRANSFORMS.register_module()
class LoadCheckedImage(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` with clear errors for missing or unreadable files.

    Reads ``results['img_path']`` and sets ``img``, ``img_shape`` and ``ori_shape``. With the
    defaults (``color_type='color'``, cv2 backend) ``img`` is uint8 ``(H, W, 3)`` in **BGR**
    order, as everywhere in mmcv/mmseg; grayscale files are expanded to 3 channels.
    """

    def transform(self, results: dict) -> Optional[dict]:
        filename = results['img_path']
        try:
            return super().transform(results)
        except FileNotFoundError as e:
            if self.ignore_empty:
                return None
            raise FileNotFoundError(f'Image file {filename} does not exist.') from e
        except Exception as e:  # decoder errors, or mmcv's assert on an undecodable file
            if self.ignore_empty:
                return None
            raise ValueError(f'Image file {filename} is unreadable (corrupt, truncated or not '
                             f'an image); replace or remove it.') from e


@TRANSFORMS.register_module()
class LoadBinaryMask(BaseTransform):
    """Load a binary mask from ``results['seg_map_path']`` and check it against the image.

    The file follows :mod:`alignflow.datasets.mask_io`'s rules for binary masks (values in
    {0, 255} or {0, 1}, grey or a colour file with equal channels) and is the size of the image
    loaded before it. Sets ``gt_seg_map`` (uint8 ``(H, W)`` in {0, 1}), appends it to
    ``seg_fields`` and sets ``reduce_zero_label=False``, as mmseg's ``LoadAnnotations`` does, so
    ``Resize``, ``RandomFlip`` and ``PackSegInputs`` handle it.

    Args:
        imdecode_backend: mmcv decoding backend.
        backend_args: mmengine file backend arguments.
    """

    def __init__(self, imdecode_backend: str = 'cv2', backend_args: Optional[dict] = None) -> None:
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args.copy() if backend_args else None

    def _read(self, path: str) -> np.ndarray:
        try:
            data = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError as e:
            raise FileNotFoundError(f'Mask file {path} does not exist.') from e
        try:
            mask = mmcv.imfrombytes(data, flag='unchanged', backend=self.imdecode_backend)
        except Exception as e:
            raise ValueError(f'Mask file {path} is unreadable (corrupt or not an image).') from e
        if mask is None:
            raise ValueError(f'Mask file {path} is unreadable (corrupt or not an image).')
        return mask

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        image_hw = results.get('ori_shape') or (
            results['img'].shape[:2] if 'img' in results else None)
        results['gt_seg_map'] = check_mask(self._read(path), path, image_hw,
                                           results.get('img_path'))
        results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in results['seg_fields']:
            results['seg_fields'].append('gt_seg_map')
        results['reduce_zero_label'] = False
        return results

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(imdecode_backend='{self.imdecode_backend}', "
                f'backend_args={self.backend_args})')
