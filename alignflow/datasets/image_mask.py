"""Binary segmentation dataset of ``images/<stem>.<ext>`` paired with ``masks/<stem>.png``."""
import os.path as osp
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

from mmseg.datasets import BaseSegDataset

from alignflow.registry import DATASETS
from .pair_check import check_pairs

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp')


def _preview(names: Sequence[str], limit: int = 5) -> str:
    """``'a, b, c (+7 more)'``: the first few names and how many were left out."""
    shown = ', '.join(names[:limit])
    return shown + (f' (+{len(names) - limit} more)' if len(names) > limit else '')


@DATASETS.register_module()
class ImageMaskDataset(BaseSegDataset):
    """Image-mask pairs matched by file stem, sorted by stem.

    Layout::

        data_root/
            images/<stem>.<jpg|jpeg|png|tif|tiff|bmp>
            masks/<stem><seg_map_suffix>     # single-channel, values {0, 255} or {0, 1}
            <ann_file>                       # optional: the stems of a split, one per line

    Without ``ann_file`` every image needs a mask and every mask an image; with it, only the
    listed stems are used and each needs both. Problems raise an error naming the files.
    Load the pairs with ``LoadCheckedImage`` + ``LoadBinaryMask``.

    When built, the whole dataset is checked once (:func:`~alignflow.datasets.pair_check.
    check_pairs`: readable files, binary single-channel masks of their image's size), so every
    bad file is listed before training starts; pairs that passed are cached by file size and
    modification time.

    Args:
        data_root: Dataset folder.
        data_prefix: Image and mask folders, relative to ``data_root``.
        ann_file: Optional split file of stems, relative to ``data_root``.
        img_suffix: Accepted image extensions (case-insensitive).
        seg_map_suffix: Mask file suffix.
        check_files: check every pair when the dataset is built.
        **kwargs: Forwarded to :class:`mmseg.datasets.BaseSegDataset` (``pipeline``,
            ``metainfo``, ``test_mode``, ...).
    """

    METAINFO = dict(classes=('background', 'foreground'), palette=[[0, 0, 0], [255, 255, 255]])
    # False: masks are class-index maps of len(classes) classes (checked as such), loaded with
    # mmseg's LoadAnnotations instead of LoadBinaryMask.
    BINARY_MASKS = True

    def __init__(self,
                 data_root: Optional[str] = None,
                 data_prefix: Dict[str, str] = dict(img_path='images', seg_map_path='masks'),
                 ann_file: Optional[str] = '',
                 img_suffix: Union[str, Sequence[str]] = IMG_EXTENSIONS,
                 seg_map_suffix: str = '.png',
                 check_files: bool = True,
                 **kwargs) -> None:
        if data_root is not None and not osp.isdir(data_root):
            raise FileNotFoundError(
                f'Dataset folder {data_root} does not exist. Set `data_root` in the config or '
                f'pass `--cfg-options train_dataloader.dataset.data_root=/path/to/data` '
                f'(a folder with images/ and masks/).')
        suffixes = (img_suffix, ) if isinstance(img_suffix, str) else tuple(img_suffix)
        self.check_files = check_files
        super().__init__(
            data_root=data_root,
            data_prefix=data_prefix,
            ann_file=ann_file,
            img_suffix=tuple(s.lower() for s in suffixes),
            seg_map_suffix=seg_map_suffix,
            **kwargs)

    def _files_by_stem(self, folder: str, what: str, suffixes: Sequence[str]) -> Dict[str, str]:
        """``{stem: file name}`` of the files in ``folder`` ending with one of ``suffixes``."""
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'{what.capitalize()} folder {folder} does not exist. Check `data_root` (the '
                f'folder holding images/ and masks/) and `data_prefix` in the config.')
        found: Dict[str, str] = {}
        for name in sorted(p.name for p in Path(folder).iterdir() if p.is_file()):
            suffix = next((s for s in suffixes if name.lower().endswith(s.lower())), None)
            if suffix is None:
                continue
            stem = name[:-len(suffix)]
            if stem in found:
                raise ValueError(f'Two {what} files share the stem {stem!r} in {folder}: '
                                 f'{found[stem]} and {name}. Keep one of them.')
            found[stem] = name
        if not found:
            raise FileNotFoundError(f'No {what} files ({", ".join(suffixes)}) in {folder}.')
        return found

    def _split_stems(self) -> List[str]:
        """The stems listed in ``ann_file``, in file order."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'Split file (ann_file) {self.ann_file} does not exist.')
        with open(self.ann_file, encoding='utf-8') as f:
            return [line.strip() for line in f if line.strip()]

    def load_data_list(self) -> List[dict]:
        """Pair images and masks by stem; see the class docstring for the checks."""
        img_dir, mask_dir = self.data_prefix['img_path'], self.data_prefix['seg_map_path']
        images = self._files_by_stem(img_dir, 'image', self.img_suffix)
        masks = self._files_by_stem(mask_dir, 'mask', (self.seg_map_suffix, ))
        if self.ann_file:
            stems = self._split_stems()
            unpaired = [s for s in stems if s not in images or s not in masks]
            if unpaired:
                raise FileNotFoundError(
                    f'{len(unpaired)} stem(s) listed in {self.ann_file} lack an image in '
                    f'{img_dir} or a mask in {mask_dir}: {_preview(unpaired)}. Fix the split '
                    f'file or add the files.')
        else:
            no_mask = [images[s] for s in images if s not in masks]
            if no_mask:
                raise FileNotFoundError(
                    f'{len(no_mask)} image(s) in {img_dir} have no mask '
                    f'<stem>{self.seg_map_suffix} in {mask_dir}: {_preview(no_mask)}. Add the '
                    f'masks, remove the images, or list the stems to use in `ann_file`.')
            no_image = [masks[s] for s in masks if s not in images]
            if no_image:
                raise FileNotFoundError(
                    f'{len(no_image)} mask(s) in {mask_dir} have no image in {img_dir}: '
                    f'{_preview(no_image)}. Add the images, remove the masks, or list the '
                    f'stems to use in `ann_file`.')
            stems = sorted(images)
        data_list = [
            dict(
                img_path=osp.join(img_dir, images[stem]),
                seg_map_path=osp.join(mask_dir, masks[stem]),
                label_map=self.label_map,
                reduce_zero_label=self.reduce_zero_label,
                seg_fields=[]) for stem in stems
        ]
        if self.check_files:
            check_pairs([(d['img_path'], d['seg_map_path']) for d in data_list],
                        num_classes=None if self.BINARY_MASKS else len(self.metainfo['classes']))
        return data_list
