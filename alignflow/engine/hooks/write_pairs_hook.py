"""Save what a generator paints as an image–mask dataset folder."""
import os.path as osp
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from mmengine.dist import barrier, get_rank, is_main_process
from mmengine.hooks import Hook

from alignflow.registry import HOOKS
from alignflow.utils.atomic_io import write_png_atomic
from alignflow.utils.output_folder import claim_output_folder, data_folders_of


@HOOKS.register_module()
class WriteGeneratedPairsHook(Hook):
    """In ``test``/``val``, write every generated image and its mask as a dataset folder.

    Layout: ``<out_dir>/images/<stem>.png`` (generated, RGB saved as PNG) and
    ``<out_dir>/masks/<stem>.png`` (the conditioning mask, {0, 255} for binary masks, class
    index otherwise), the layout ``ImageMaskDataset`` reads, so the pairs can train segmentors.
    ``<stem>`` is the source mask's file stem, plus ``_<k>`` for repeated draws.

    Before the first pair, the folder is claimed (:func:`~alignflow.utils.output_folder.
    claim_output_folder`): it may not be a folder the run reads as data, and it may hold
    nothing but pairs this hook wrote for the same config and checkpoint, unless
    ``overwrite``.

    Args:
        out_dir: destination folder (created).
        suffix: appended to each stem, e.g. ``'_s0'`` when several draws are written.
        overwrite: write into a folder that holds other files, or replace another run's pairs.
    """

    priority = 'LOW'

    def __init__(self, out_dir: Optional[str] = None, suffix: str = '', overwrite: bool = False):
        self.out_dir = out_dir
        self.suffix = suffix
        self.overwrite = overwrite

    def _claim(self, runner) -> None:
        if self.out_dir is None:
            return
        if is_main_process():
            claim_output_folder(
                self.out_dir, writer='WriteGeneratedPairsHook (tools/test.py --out)',
                run=dict(config=getattr(runner.cfg, 'filename', None),
                         checkpoint=runner.cfg.get('load_from'), suffix=self.suffix),
                read_folders=data_folders_of(runner.cfg), overwrite=self.overwrite)
        barrier()

    def before_test(self, runner) -> None:
        self._claim(runner)

    def before_val(self, runner) -> None:
        self._claim(runner)

    def _write(self, outputs: Sequence) -> None:
        if self.out_dir is None:
            return
        root = Path(self.out_dir)
        if any('gen_img' not in data_sample for data_sample in outputs):
            raise ValueError('WriteGeneratedPairsHook needs a generator whose predict() '
                             'returns gen_img (an image generator)')
        (root / 'images').mkdir(parents=True, exist_ok=True)
        (root / 'masks').mkdir(parents=True, exist_ok=True)
        for data_sample in outputs:
            stem = osp.splitext(osp.basename(data_sample.metainfo.get(
                'seg_map_path', f'sample_rank{get_rank()}')))[0] + self.suffix
            rgb = data_sample.gen_img.data.permute(1, 2, 0).cpu().numpy()
            label = data_sample.gt_sem_seg.data[0].cpu().numpy().astype(np.uint8)
            if label.max() <= 1:
                label = label * 255
            write_png_atomic(root / 'images' / f'{stem}.png', np.ascontiguousarray(rgb[..., ::-1]))
            write_png_atomic(root / 'masks' / f'{stem}.png', label)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._write(outputs)

    def after_val_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._write(outputs)
