"""A flow-matching generator of new binary masks (unconditional)."""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.structures import PixelData

from alignflow.masks import MaskPostprocessChain, MaskRejected
from alignflow.registry import MODELS
from .flow_model import ConfigOrModule, FlowMatchingModel, build, to_uint8


@MODELS.register_module()
class MaskFlow(FlowMatchingModel):
    """Unconditional flow matching on binary masks: the stage-1 machinery (path, solver,
    velocity U-Net) with the mask as data, x1 = mask as +-1 (B, 1, H, W), and no condition.

    Sampling gives a continuous map; ``postprocess`` (a :class:`~alignflow.masks.
    MaskPostprocessChain` config) turns it into a label, for sample grids and synthesis.

    Args:
        velocity_net: config of the velocity network; ``in_channels`` defaults to 1 and
            ``cond_channels`` to 0.
        path, time_sampler, solver, val_times, sample_seed: as for ``MaskConditionedFlow``.
        postprocess: the post-processing steps (configs of ``MASK_POSTPROCESSORS``).
    """

    def __init__(self,
                 velocity_net: ConfigOrModule,
                 path: ConfigOrModule = dict(type='CondOTPath'),
                 time_sampler: ConfigOrModule = dict(type='UniformTimeSampler'),
                 solver: ConfigOrModule = dict(type='EulerSolver', num_steps=50),
                 postprocess: Sequence[dict] = (dict(type='Binarize', threshold=0.5), ),
                 val_times: Sequence[float] = (0.1, 0.3, 0.5, 0.7, 0.9),
                 sample_seed: int = 0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='PairDataPreprocessor', num_classes=2)
        if isinstance(velocity_net, dict):
            velocity_net = dict(velocity_net)
            velocity_net.setdefault('in_channels', 1)
            velocity_net.setdefault('cond_channels', 0)
            if (velocity_net['in_channels'], velocity_net['cond_channels']) != (1, 0):
                raise ValueError(f'a mask flow needs velocity_net with in_channels=1 and '
                                 f'cond_channels=0, got {velocity_net["in_channels"]} and '
                                 f'{velocity_net["cond_channels"]}')
        super().__init__(build(MODELS, velocity_net), path, time_sampler, solver, val_times,
                         sample_seed, data_preprocessor, init_cfg)
        self.postprocess = MaskPostprocessChain(postprocess)

    def forward(self, inputs: dict, data_samples: Optional[list] = None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.sample(torch.randn_like(inputs['mask']))
        raise ValueError(f'Invalid mode "{mode}": use "loss", "predict" or "tensor"')

    def loss(self, inputs: dict, data_samples: Optional[list] = None) -> Dict[str, torch.Tensor]:
        """Flow-matching loss on a batch of masks, ``inputs['mask']``: (B, 1, H, W) as +-1."""
        x1 = self._masks(inputs)
        x0 = torch.randn_like(x1)
        t = self.time_sampler(x1.shape[0], device=x1.device)
        return dict(loss_fm=self.flow_loss(x0, x1, t, None))

    def sample(self, noise: torch.Tensor, num_steps: Optional[int] = None) -> torch.Tensor:
        """Integrate from noise (B, 1, H, W) to mask maps (B, 1, H, W), nominally in [-1, 1]."""
        return self.solver.sample(lambda x, t: self.velocity_net(x, t, None), noise,
                                  num_steps=num_steps)

    def label(self, mask_map: torch.Tensor):
        """The post-processed label of one sampled map (1, H, W) in [-1, 1]: (H, W) uint8 in
        {0, 1}. Raises :class:`~alignflow.masks.MaskRejected` when the chain refuses it."""
        prob = ((mask_map[0].float().clamp(-1, 1) + 1) / 2).cpu().numpy()
        return self.postprocess(prob)

    @torch.no_grad()
    def predict(self, inputs: dict, data_samples: List) -> List:
        """Sample a mask per data sample (noise seeded by its file name) and post-process it:
        ``gen_mask_map`` (PixelData, uint8 (1, H, W): the sampled map in 0-255),
        ``gen_mask`` (uint8 (1, H, W) in {0, 1}; empty when rejected), metainfo
        ``mask_rejected`` (the reason, or '') and, given real masks, ``fm_loss``."""
        x1 = self._masks(inputs)
        x0 = self.seeded_noise(data_samples, x1.shape[1:], x1.device).to(x1.dtype)
        maps = self.sample(x0)
        fm_loss = self.heldout_loss(x0, x1, None) if self.val_times else None
        for i, data_sample in enumerate(data_samples):
            reason = ''
            try:
                label = torch.from_numpy(self.label(maps[i]))
            except MaskRejected as rejected:
                label, reason = torch.zeros(maps.shape[-2:], dtype=torch.uint8), str(rejected)
            data_sample.set_field(PixelData(data=to_uint8(maps[i:i + 1])[0]), 'gen_mask_map')
            data_sample.set_field(PixelData(data=label[None]), 'gen_mask')
            data_sample.set_field(reason, 'mask_rejected', field_type='metainfo')
            if fm_loss is not None:
                data_sample.set_field(float(fm_loss[i]), 'fm_loss', field_type='metainfo')
        return data_samples

    @torch.no_grad()
    def grid_rows(self, data: dict, num_steps: Optional[int] = None,
                  guidance_scale: Optional[float] = None) -> List[torch.Tensor]:
        """Rows of a sample grid: sampled map | post-processed label (grey where rejected) |
        real mask, each (N, 3, H, W) uint8."""
        x1 = self._masks(data['inputs'])
        noise = self.seeded_noise(data['data_samples'], x1.shape[1:], x1.device).to(x1.dtype)
        maps = self.sample(noise, num_steps=num_steps)
        labels = []
        for mask_map in maps:
            try:
                labels.append(torch.from_numpy(self.label(mask_map)).float() * 2 - 1)
            except MaskRejected:
                labels.append(torch.zeros(mask_map.shape[-2:]))
        labels = torch.stack(labels)[:, None]
        return [to_uint8(m.expand(-1, 3, -1, -1)) for m in (maps, labels, x1)]

    @staticmethod
    def _masks(inputs: dict) -> torch.Tensor:
        mask = inputs['mask']
        if mask.shape[1] != 1:
            raise ValueError(f'MaskFlow generates binary masks (1 channel), got {mask.shape[1]} '
                             f'mask channels; set num_classes=2 in the data preprocessor')
        return mask
