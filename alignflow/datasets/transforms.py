"""Loading transforms that check image-mask pairs and fail with messages naming the file."""
from typing import Optional, Sequence

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform, LoadImageFromFile
from mmengine import fileio

from alignflow.registry import TRANSFORMS


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


def check_mask(mask: np.ndarray, path: str, image_hw: Optional[Sequence[int]] = None,
               image_path: Optional[str] = None, num_classes: Optional[int] = None) -> np.ndarray:
    """The rules every mask follows (one owner: the loading transform and the dataset
    pre-check both call it): single-channel, the size of its image when ``image_hw`` = (H, W)
    is given, and binary -- values in {0, 255} or {0, 1} -- or, with ``num_classes`` (a
    multi-class dataset such as REFUGE), class indices ``0 .. num_classes - 1``.

    Args:
        mask: the decoded file, (H, W) or (H, W, C).

    Returns:
        The mask as (H, W).

    Raises:
        ValueError: naming the file and how to fix it.
    """
    if mask.ndim == 3 and mask.shape[2] == 1:
        mask = mask[..., 0]
    if mask.ndim != 2:
        raise ValueError(
            f'Mask file {path} has shape {mask.shape}; masks must be single-channel (H, W). '
            f'Convert it to single-channel, e.g. cv2.imwrite(path, cv2.imread(path, '
            f'cv2.IMREAD_GRAYSCALE)).')
    values = sorted(set(np.unique(mask).tolist()))
    shown = f'{values[:10]}{" ..." if len(values) > 10 else ""}'
    if num_classes is None and not (set(values) <= {0, 255} or set(values) <= {0, 1}):
        raise ValueError(
            f'Mask file {path} is not binary: found {len(values)} values {shown}; expected '
            f'{{0, 255}} or {{0, 1}}. Threshold it, e.g. mask = (mask > 127).astype(np.uint8) '
            f'* 255.')
    if num_classes is not None and values[-1] >= num_classes:
        raise ValueError(
            f'Mask file {path} has values {shown}; expected class indices '
            f'0..{num_classes - 1}. Convert the raw masks with the dataset\'s converter '
            f'(tools/dataset_converters/).')
    if image_hw is not None and mask.shape != tuple(image_hw):
        raise ValueError(
            f'Mask file {path} is {mask.shape[0]}x{mask.shape[1]} (HxW) but its image '
            f'{image_path} is {image_hw[0]}x{image_hw[1]}; they must match.')
    return mask


@TRANSFORMS.register_module()
class LoadBinaryMask(BaseTransform):
    """Load a binary mask from ``results['seg_map_path']`` and check it against the image.

    The file must be single-channel with values in {0, 255} or {0, 1} and the size of the image
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
        image_hw = results.get('ori_shape') or (results['img'].shape[:2] if 'img' in results
                                                 else None)
        mask = check_mask(self._read(path), path, image_hw, results.get('img_path'))
        results['gt_seg_map'] = (mask > 0).astype(np.uint8)
        results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in results['seg_fields']:
            results['seg_fields'].append('gt_seg_map')
        results['reduce_zero_label'] = False
        return results

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(imdecode_backend='{self.imdecode_backend}', "
                f'backend_args={self.backend_args})')
