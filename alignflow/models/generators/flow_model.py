"""What the flow-matching models share: path, time sampler, solver, seeded noise, losses."""
import zlib
from typing import Optional, Sequence, Union

import torch
from mmengine.model import BaseModel

from alignflow.flow import flow_matching_loss
from alignflow.registry import MODELS, PATHS, SOLVERS, TIME_SAMPLERS

ConfigOrModule = Union[dict, torch.nn.Module]


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) in [-1, 1] -> uint8 on the CPU."""
    return ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu()


def build(registry, cfg: ConfigOrModule):
    """A module from its config, or the module itself."""
    return registry.build(cfg) if isinstance(cfg, dict) else cfg


class FlowMatchingModel(BaseModel):
    """Base of the image flow (:class:`MaskConditionedFlow`) and the mask flow
    (:class:`MaskFlow`): a velocity network ``v(x_t, t, cond)`` with its probability path,
    training-time sampler and ODE solver.

    Args:
        velocity_net: the built velocity network (subclasses fill in its channels).
        path, time_sampler, solver: configs of the registries PATHS, TIME_SAMPLERS, SOLVERS.
        val_times: fixed times of the held-out flow-matching loss that ``predict`` reports.
        sample_seed: base seed of the per-sample noise of ``predict``.
    """

    def __init__(self, velocity_net: torch.nn.Module, path: ConfigOrModule,
                 time_sampler: ConfigOrModule, solver: ConfigOrModule,
                 val_times: Sequence[float], sample_seed: int,
                 data_preprocessor: Optional[ConfigOrModule], init_cfg: Optional[dict]):
        super().__init__(data_preprocessor=build(MODELS, data_preprocessor), init_cfg=init_cfg)
        self.velocity_net = velocity_net
        self.path = build(PATHS, path)
        self.time_sampler = build(TIME_SAMPLERS, time_sampler)
        self.solver = build(SOLVERS, solver)
        self.val_times = tuple(val_times)
        self.sample_seed = sample_seed

    def flow_loss(self, x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor,
                  cond: Optional[torch.Tensor]) -> torch.Tensor:
        """Flow-matching loss of one batch: x0, x1 (B, C, H, W), t (B,), cond (B, Cm, H, W)
        or None -> scalar."""
        sample = self.path.sample(x0, x1, t)
        return flow_matching_loss(self.velocity_net(sample.x_t, t, cond), sample.dx_t)

    @torch.no_grad()
    def heldout_loss(self, x0: torch.Tensor, x1: torch.Tensor,
                     cond: Optional[torch.Tensor]) -> torch.Tensor:
        """Per-sample flow-matching loss (B,) averaged over ``val_times``, with given noise:
        deterministic, so comparable across checkpoints."""
        loss = torch.zeros(x1.shape[0], device=x1.device)
        for value in self.val_times:
            t = torch.full((x1.shape[0], ), value, device=x1.device, dtype=x1.dtype)
            sample = self.path.sample(x0, x1, t)
            loss += flow_matching_loss(self.velocity_net(sample.x_t, t, cond), sample.dx_t,
                                       reduction='none') / len(self.val_times)
        return loss

    def seeded_noise(self, data_samples: Sequence, shape: Sequence[int],
                     device: torch.device) -> torch.Tensor:
        """Noise (B, *shape) where each sample's draw depends only on its file name and seed,
        so results do not depend on batch size, order or the number of processes."""
        noise = []
        for data_sample in data_samples:
            key = str(data_sample.metainfo.get('seg_map_path', data_sample.metainfo.get(
                'img_path', '')))
            generator = torch.Generator().manual_seed(self.sample_seed * 1_000_003 +
                                                      zlib.crc32(key.encode()))
            noise.append(torch.randn(*shape, generator=generator))
        return torch.stack(noise).to(device)
