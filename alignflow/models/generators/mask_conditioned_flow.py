"""Stage 1: a flow-matching model that paints an image for a given segmentation mask."""
from typing import Dict, List, Optional, Sequence

import torch
from torch import nn
from mmengine.structures import PixelData

from alignflow.registry import MODELS
from .data_preprocessor import decode_mask, mask_channels
from .flow_model import ConfigOrModule, FlowMatchingModel, build, to_uint8


@MODELS.register_module()
class MaskConditionedFlow(FlowMatchingModel):
    """Mask-conditioned flow matching: learns v(x_t, t, mask) whose ODE carries noise to images.

    Training (``loss``): x0 ~ N(0, I), x1 = image in [-1, 1], t from the time sampler,
    x_t and the target velocity from the probability path, MSE between prediction and target.
    The mask is dropped (set to the null condition 0) with probability ``cond_dropout`` so that
    sampling can use classifier-free guidance with ``guidance_scale`` > 1.

    Args:
        velocity_net: config of the velocity network ``net(x, t, cond)`` (e.g. ConditionalUNet);
            ``in_channels`` and ``cond_channels`` default to what the data needs.
        num_classes: classes in the masks, background included.
        img_channels: channels of the images.
        path: probability path config (registry PATHS).
        time_sampler: training-time sampler config (registry TIME_SAMPLERS).
        solver: ODE solver config used by ``sample``/``predict`` (registry SOLVERS).
        cond_dropout: probability of training a sample without its mask.
        guidance_scale: default classifier-free guidance scale (1 = no guidance).
        val_times: fixed times at which ``predict`` also reports the held-out flow-matching
            loss of each sample (deterministic noise), or () to skip it.
        sample_seed: base seed of the per-sample noise used by ``predict``.
    """

    def __init__(self,
                 velocity_net: ConfigOrModule,
                 num_classes: int = 2,
                 img_channels: int = 3,
                 path: ConfigOrModule = dict(type='CondOTPath'),
                 time_sampler: ConfigOrModule = dict(type='UniformTimeSampler'),
                 solver: ConfigOrModule = dict(type='EulerSolver', num_steps=50),
                 cond_dropout: float = 0.0,
                 guidance_scale: float = 1.0,
                 val_times: Sequence[float] = (0.1, 0.3, 0.5, 0.7, 0.9),
                 sample_seed: int = 0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='PairDataPreprocessor', num_classes=num_classes)
        if not 0.0 <= cond_dropout < 1.0:
            raise ValueError(f'cond_dropout must be in [0, 1), got {cond_dropout}')
        cond_channels = mask_channels(num_classes)
        if isinstance(velocity_net, dict):
            velocity_net = dict(velocity_net)
            velocity_net.setdefault('in_channels', img_channels)
            velocity_net.setdefault('cond_channels', cond_channels)
            if (velocity_net['in_channels'], velocity_net['cond_channels']) != (
                    img_channels, cond_channels):
                raise ValueError(
                    f'velocity_net has in_channels={velocity_net["in_channels"]}, cond_channels='
                    f'{velocity_net["cond_channels"]}, but the data has {img_channels} image '
                    f'channels and {num_classes} classes ({cond_channels} mask channels)')
        super().__init__(build(MODELS, velocity_net), path, time_sampler, solver, val_times,
                         sample_seed, data_preprocessor, init_cfg)
        self.num_classes = num_classes
        self.img_channels = img_channels
        self.cond_channels = cond_channels
        self.cond_dropout = cond_dropout
        self.guidance_scale = guidance_scale

    def forward(self, inputs: dict, data_samples: Optional[list] = None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.sample(inputs['mask'])
        raise ValueError(f'Invalid mode "{mode}": use "loss", "predict" or "tensor"')

    def velocity(self, x: torch.Tensor, t: torch.Tensor, mask: torch.Tensor,
                 guidance_scale: Optional[float] = None,
                 velocity_net: Optional[nn.Module] = None) -> torch.Tensor:
        """Guided velocity. x: (B, C, H, W), t: (B,), mask: (B, Cm, H, W) -> (B, C, H, W).
        ``velocity_net``: another network of the same signature (stage 2's frozen stage-1
        copy) in place of the generator's own."""
        scale = self.guidance_scale if guidance_scale is None else guidance_scale
        velocity_net = self.velocity_net if velocity_net is None else velocity_net
        if scale == 1.0:
            return velocity_net(x, t, mask)
        v_cond, v_uncond = velocity_net(
            torch.cat([x, x]), torch.cat([t, t]), torch.cat([mask, torch.zeros_like(mask)])
        ).chunk(2)
        return v_uncond + scale * (v_cond - v_uncond)

    def loss(self, inputs: dict, data_samples: Optional[list] = None) -> Dict[str, torch.Tensor]:
        """Flow-matching MSE on a batch of pairs. inputs['img']: (B, C, H, W) in [-1, 1]."""
        x1, mask = inputs.get('img'), inputs['mask']
        if x1 is None:
            raise ValueError('training the flow needs images; the batch has masks only')
        x0 = torch.randn_like(x1)
        t = self.time_sampler(x1.shape[0], device=x1.device)
        if self.cond_dropout > 0:
            keep = (torch.rand(x1.shape[0], device=x1.device) >= self.cond_dropout)
            mask = mask * keep.to(mask.dtype).view(-1, 1, 1, 1)
        return dict(loss_fm=self.flow_loss(x0, x1, t, mask))

    def sample(self, mask: torch.Tensor, noise: Optional[torch.Tensor] = None,
               num_steps: Optional[int] = None, guidance_scale: Optional[float] = None,
               grad_last_k: Optional[int] = None, checkpoint: bool = False) -> torch.Tensor:
        """Integrate the ODE from noise to images for the given masks.

        Args:
            mask: (B, Cm, H, W) encoded masks (see ``encode_mask``).
            noise: (B, C, H, W) start points; standard normal when None.
            grad_last_k, checkpoint: passed to the solver (stage 2 backpropagates through the
                last K steps).

        Returns:
            (B, C, H, W) images, nominally in [-1, 1] (not clamped).
        """
        if noise is None:
            noise = torch.randn(mask.shape[0], self.img_channels, *mask.shape[-2:],
                                device=mask.device, dtype=mask.dtype)
        return self.solver.sample(
            lambda x, t: self.velocity(x, t, mask, guidance_scale), noise,
            num_steps=num_steps, grad_last_k=grad_last_k, checkpoint=checkpoint)

    @torch.no_grad()
    def predict(self, inputs: dict, data_samples: List) -> List:
        """Paint an image for every mask; returns the data samples with ``gen_img``
        (PixelData, uint8 RGB (3, H, W)) and, when real images are given, ``fm_loss`` (the
        sample's held-out flow-matching loss averaged over ``val_times``)."""
        mask, x1 = inputs['mask'], inputs.get('img')
        shape = (self.img_channels, *mask.shape[-2:])
        x0 = self.seeded_noise(data_samples, shape, mask.device).to(mask.dtype)
        images = self.sample(mask, noise=x0)
        images_uint8 = to_uint8(images).to(images.device)
        fm_loss = None
        if x1 is not None and self.val_times:
            fm_loss = self.heldout_loss(x0, x1, mask)
        for i, data_sample in enumerate(data_samples):
            data_sample.set_field(PixelData(data=images_uint8[i]), 'gen_img')
            if fm_loss is not None:
                data_sample.set_field(float(fm_loss[i]), 'fm_loss', field_type='metainfo')
        return data_samples

    @torch.no_grad()
    def grid_rows(self, data: dict, num_steps: Optional[int] = None,
                  guidance_scale: Optional[float] = None) -> List[torch.Tensor]:
        """Rows of a sample grid for a preprocessed batch: mask | generated | real image, each
        (N, 3, H, W) uint8; noise seeded per file, so successive grids are comparable."""
        mask, real = data['inputs']['mask'], data['inputs'].get('img')
        noise = self.seeded_noise(data['data_samples'], (self.img_channels, *mask.shape[-2:]),
                                  mask.device).to(mask.dtype)
        fake = self.sample(mask, noise=noise, num_steps=num_steps, guidance_scale=guidance_scale)
        labels = decode_mask(mask).float() / max(self.num_classes - 1, 1) * 2 - 1
        rows = [to_uint8(labels.unsqueeze(1).expand(-1, 3, -1, -1)), to_uint8(fake)]
        if real is not None:
            rows.append(to_uint8(real))
        return rows
