"""Write grids of mask | generated image | real image during training."""
from typing import Optional, Sequence

import torch
from mmengine.dataset import pseudo_collate
from mmengine.hooks import EMAHook, Hook
from mmengine.model import is_model_wrapper

from alignflow.registry import HOOKS


def image_grid(rows: Sequence[torch.Tensor], padding: int = 2) -> torch.Tensor:
    """Tile rows of images into one picture.

    Args:
        rows: R tensors (N, 3, H, W) uint8, one per grid row.

    Returns:
        (R * (H + padding) + padding, N * (W + padding) + padding, 3) uint8 image.
    """
    num, _, height, width = rows[0].shape
    grid = torch.full((len(rows) * (height + padding) + padding,
                       num * (width + padding) + padding, 3), 255, dtype=torch.uint8)
    for r, row in enumerate(rows):
        for n in range(num):
            top, left = padding + r * (height + padding), padding + n * (width + padding)
            grid[top:top + height, left:left + width] = row[n].permute(1, 2, 0)
    return grid


@HOOKS.register_module()
class SampleGridHook(Hook):
    """Every ``interval`` iterations, sample for a fixed batch and log the grid.

    The rows are what the model's ``grid_rows`` gives for the first ``num_samples`` items of
    the validation set (the training set when there is none): mask | generated image | real
    image for the image flow, generated | post-processed | real masks for the mask flow, and
    mask | stage 1 | aligned | real source image | references for stage 2 (stage 1 and the
    aligned generator from the same noise).
    Noise is seeded per file, so grids of successive iterations are comparable. When an
    ``EMAHook`` is registered, the averaged weights paint.
    The grid goes to every visualizer backend: a PNG under the work dir
    (``vis_data/vis_image/samples_<iter>.png``) and TensorBoard.

    Args:
        interval: iterations between grids; a grid is also written after the last iteration.
        num_samples: masks in the grid.
        num_steps: solver steps (the model's default when None).
        guidance_scale: classifier-free guidance (the model's default when None).
    """

    priority = 'LOW'

    def __init__(self, interval: int = 500, num_samples: int = 8,
                 num_steps: Optional[int] = None, guidance_scale: Optional[float] = None):
        if interval < 1 or num_samples < 1:
            raise ValueError('SampleGridHook needs interval >= 1 and num_samples >= 1')
        self.interval = interval
        self.num_samples = num_samples
        self.num_steps = num_steps
        self.guidance_scale = guidance_scale
        self._batch = None

    def before_train(self, runner) -> None:
        loop = runner.val_loop if runner.val_loop is not None else runner.train_loop
        dataset = loop.dataloader.dataset
        count = min(self.num_samples, len(dataset))
        self._batch = pseudo_collate([dataset[i] for i in range(count)])

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.every_n_train_iters(runner, self.interval) or self.is_last_train_iter(runner):
            self.write_grid(runner)

    def _painter(self, runner):
        """The model to sample from: EMA weights when averaged; a stage-2 model paints its
        own grid (stage 1 and the aligned generator on the same noise, beside the references),
        a model without one its generator's."""
        model = None
        for hook in runner.hooks:
            if isinstance(hook, EMAHook):
                model = hook.ema_model.module
        if model is None:
            model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return model if hasattr(model, 'grid_rows') else model.generator

    @torch.no_grad()
    def write_grid(self, runner) -> None:
        model = self._painter(runner)
        was_training = model.training
        model.eval()
        rows = model.grid_rows(model.data_preprocessor(self._batch, False),
                               num_steps=self.num_steps, guidance_scale=self.guidance_scale)
        model.train(was_training)
        runner.visualizer.add_image('samples', image_grid(rows).numpy(), step=runner.iter + 1)
