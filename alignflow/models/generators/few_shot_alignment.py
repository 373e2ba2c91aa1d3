"""Stage 2: align a stage-1 flow to a target domain with a differentiable distribution reward."""
import copy
import random
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
import torch.nn.functional as F
from torch import nn

from alignflow.datasets.references import load_images
from alignflow.losses import AlignmentBatch
from alignflow.models.adapters import inject_lora, merge_lora, train_only
from alignflow.registry import LOSSES, MODELS, REWARDS
from alignflow.rewards import Stage1Painter
from alignflow.utils.checkpoint import load_checkpoint_weights
from .flow_model import to_uint8

# The plain stage-2 objective's regularisers (the reward comes on top).
DEFAULT_LOSSES = (dict(type='FlowMatchingLoss', loss_weight=0.5),
                  dict(type='Stage1AnchorLoss', loss_weight=1.0))


def load_stage1_weights(generator: torch.nn.Module, checkpoint: str,
                        stage1_config: Optional[str] = None) -> None:
    """Load a stage-1 checkpoint (its ``state_dict``: EMA weights when it was trained with
    ``EMAHook``) into ``generator``, refusing missing files and architecture mismatches with
    a message that says what to do."""
    config = stage1_config or '<stage-1 config>'
    load_checkpoint_weights(
        generator, checkpoint, what='the generator in this config',
        source='model.stage1_checkpoint',
        hint=f'train stage 1 first with `python tools/train.py {config}` (or point '
             f'model.stage1_checkpoint at its checkpoint), and keep model.generator as in that '
             f'config')


_REBUILT_KEYS = re.compile(r'(^|\.)(anchor|reward)\.')


def _drop_rebuilt_keys(module, state_dict, prefix, local_metadata) -> None:
    """State-dict post hook: remove the anchor and reward keys (rebuilt at construction)."""
    for key in [k for k in state_dict if k.startswith((prefix + 'anchor.', prefix + 'reward.'))]:
        del state_dict[key]


def _ignore_missing_rebuilt_keys(module, incompatible_keys) -> None:
    """Load post hook: the anchor and reward keys are not missing, just never saved."""
    incompatible_keys.missing_keys[:] = [k for k in incompatible_keys.missing_keys
                                         if not _REBUILT_KEYS.search(k)]


@MODELS.register_module()
class FewShotAlignment(BaseModel):
    """Fine-tune a mask-conditioned flow so its samples match K target-domain references.

    Stage 2 = the generator + a reward + a list of loss parts. One training step, for a batch
    of source pairs (masks m, images x1):

    1. sample images from noise for the masks m, keeping gradients through the last
       ``grad_last_k`` solver steps (random in [1, grad_last_k] when ``randomize_k``); with
       ``checkpoint_kept_steps`` each kept step is recomputed in backward (gradient
       checkpointing), so memory does not grow with K, at the cost of one more forward each;
    2. the reward (registry REWARDS): ``loss_reward``, the distance between their features and
       the reference bank, and its guards' terms (``loss_hf``, ``loss_diversity``); a guard
       keyed to stage 1 gets stage 1's images for the same masks before the batch is sampled
       (:meth:`~alignflow.rewards.DistributionReward.prepare`);
    3. each loss part (registry LOSSES, :mod:`alignflow.losses`) on the same batch (at the
       first ``anchor_pairs`` pairs of it when set), e.g.
       ``FlowMatchingLoss`` (``loss_fm``), ``Stage1AnchorLoss`` (``loss_anchor``, against a
       frozen copy of the stage-1 velocity field) and ``MaskEffectAnchorLoss``
       (``loss_mask_anchor``); parts that evaluate the velocity at the same points share it.

    A non-finite total skips the step; ``max_nonfinite`` in a row stop training.

    Checkpoints hold the generator only: the anchor and the reward (its frozen feature
    extractor) are rebuilt from the config at construction, so their keys are left out of
    :meth:`state_dict` and not reported missing on loading (older checkpoints that have them
    still load).

    Example:
        >>> import tempfile, cv2, numpy as np, torch
        >>> from alignflow.models import MaskConditionedFlow
        >>> from alignflow.utils import register_all_modules
        >>> register_all_modules()
        >>> generator = dict(type='MaskConditionedFlow', solver=dict(type='EulerSolver',
        ...     num_steps=2), velocity_net=dict(type='ConditionalUNet', base_channels=8,
        ...     channel_mults=(1, ), num_res_blocks=1, attention_levels=(), num_heads=1))
        >>> folder = tempfile.mkdtemp()
        >>> torch.save(dict(state_dict=MODELS.build(generator).state_dict()),
        ...            f'{folder}/stage1.pth')
        >>> for i in range(3):
        ...     _ = cv2.imwrite(f'{folder}/{i}.png', np.full((8, 8, 3), 50 * i, np.uint8))
        >>> model = FewShotAlignment(
        ...     generator, stage1_checkpoint=f'{folder}/stage1.pth',
        ...     reward=dict(type='MMDReward', feature_extractor=dict(type='LowLevelStatistics')),
        ...     reference_images=[f'{folder}/{i}.png' for i in range(3)], reference_size=8,
        ...     losses=[dict(type='FlowMatchingLoss', loss_weight=0.5),
        ...             dict(type='Stage1AnchorLoss', loss_weight=1.0)],
        ...     grad_last_k=1)
        >>> inputs = dict(img=torch.zeros(2, 3, 8, 8), mask=torch.zeros(2, 1, 8, 8))
        >>> sorted(k for k in model.alignment_losses(inputs) if k.startswith('loss'))
        ['loss_anchor', 'loss_fm', 'loss_hf', 'loss_reward']

    Args:
        generator: ``MaskConditionedFlow`` config (the stage-1 architecture).
        stage1_checkpoint: stage-1 checkpoint path.
        reward: reward config (registry REWARDS), e.g. ``MMDReward``, with its parts.
        reference_images: the target-domain reference image files (the reward's bank). A
            config does not write them: it names its split once, as the top-level
            ``reference_split``, and :func:`alignflow.apis.prepare_reference_split` fills
            this in.
        reference_size: (H, W) (or one int) the references are resized to: the generator's
            output size.
        losses: loss part configs (registry LOSSES), in the order they are computed; default
            :data:`DEFAULT_LOSSES`.
        stage1_config: the stage-1 config, named in errors.
        num_steps: solver steps while aligning (the generator's default when None).
        grad_last_k: steps that keep gradients; randomize_k draws it from [1, grad_last_k].
        checkpoint_kept_steps: recompute each kept step in backward instead of storing its
            activations: the same values and gradients, memory flat in K, and about a fifth
            more time an iteration. Turn it off where memory allows (small images, K = 1).
        anchor_pairs: the loss parts evaluate their velocity fields at this many pairs of
            the batch (a random subset, since the loaders shuffle); None: all of them.
        trainable: 'all', or regular expressions of parameter names to fine-tune (the rest is
            frozen), e.g. ``[r'velocity_net\\.(output_blocks|out_)']`` for the decoder half.
        lora: ``dict(targets=[regex, ...], rank=4, alpha=4.0)``: fine-tune low-rank updates
            of the ``generator.velocity_net`` Conv2d/Linear layers whose names (e.g.
            ``output_blocks.0.1.qkv``) match ``targets`` instead of the weights, everything
            else frozen (see :func:`alignflow.models.adapters.inject_lora`); needs
            ``trainable='all'``. :meth:`merged_generator` gives back a plain generator.
        max_nonfinite: consecutive non-finite steps tolerated before training stops.
    """

    def __init__(self,
                 generator: dict,
                 stage1_checkpoint: str,
                 reward: dict,
                 reference_images: Sequence[str],
                 reference_size: Union[int, Tuple[int, int]] = 64,
                 losses: Optional[Sequence[dict]] = None,
                 stage1_config: Optional[str] = None,
                 num_steps: Optional[int] = None,
                 grad_last_k: int = 5,
                 randomize_k: bool = False,
                 checkpoint_kept_steps: bool = True,
                 anchor_pairs: Optional[int] = None,
                 trainable: Union[str, Sequence[str]] = 'all',
                 lora: Optional[dict] = None,
                 max_nonfinite: int = 5,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        generator = MODELS.build(generator) if isinstance(generator, dict) else generator
        super().__init__(data_preprocessor=generator.data_preprocessor, init_cfg=init_cfg)
        load_stage1_weights(generator, stage1_checkpoint, stage1_config)
        self.generator = generator
        self.anchor = copy.deepcopy(generator.velocity_net).requires_grad_(False).eval()
        if lora is not None:
            if trainable != 'all':
                raise ValueError(f'lora trains only its low-rank updates and cannot be combined '
                                 f'with trainable={trainable}: keep trainable="all" with lora')
            names = inject_lora(generator.requires_grad_(False).velocity_net, **lora)
            print_log(f'LoRA on {len(names)} layers of the velocity net: {", ".join(names)}',
                      logger='current')
        elif trainable != 'all':
            train_only(generator, trainable)
        self.reward = REWARDS.build(reward) if isinstance(reward, dict) else reward
        self.reward.requires_grad_(False)
        self.losses = nn.ModuleList(
            LOSSES.build(part) if isinstance(part, dict) else part
            for part in (DEFAULT_LOSSES if losses is None else losses))
        for part in self.losses:
            part.check_generator(generator)
        self.num_steps = num_steps or generator.solver.num_steps
        if not 1 <= grad_last_k <= self.num_steps:
            raise ValueError(f'grad_last_k must be in [1, {self.num_steps}], got {grad_last_k}')
        self.grad_last_k = grad_last_k
        self.randomize_k = randomize_k
        self.checkpoint_kept_steps = checkpoint_kept_steps
        if anchor_pairs is not None and anchor_pairs < 1:
            raise ValueError(f'anchor_pairs must be a positive number of pairs or None (the '
                             f'whole batch), got {anchor_pairs}')
        self.anchor_pairs = anchor_pairs
        self.max_nonfinite = max_nonfinite
        self._nonfinite_in_a_row = 0
        if not reference_images:
            raise ValueError('FewShotAlignment needs reference images; name them with the '
                             'top-level reference_split of the config')
        size = (reference_size, ) * 2 if isinstance(reference_size, int) else reference_size
        references = load_images(reference_images, tuple(size))
        self.reward.set_references(references)
        # Kept for the sample grids only (not saved: the config names the files).
        self.register_buffer('references', references, persistent=False)
        self.register_state_dict_post_hook(_drop_rebuilt_keys)
        self.register_load_state_dict_post_hook(_ignore_missing_rebuilt_keys)

    def merged_generator(self) -> torch.nn.Module:
        """A copy of the generator with any LoRA updates folded into its weights: the
        stage-1 architecture and state-dict keys."""
        return merge_lora(copy.deepcopy(self.generator))

    def forward(self, inputs: dict, data_samples=None, mode: str = 'tensor'):
        return self.generator(inputs, data_samples, mode)

    def _noise(self, mask: torch.Tensor) -> torch.Tensor:
        """Standard normal start points (B, C, H, W) for the (B, Cm, H, W) ``mask``."""
        return torch.randn(mask.shape[0], self.generator.img_channels, *mask.shape[-2:],
                           device=mask.device, dtype=mask.dtype)

    @torch.no_grad()
    def paint_stage1(self, mask: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) images stage 1 (the frozen anchor, with the generator's guidance)
        paints for the (B, Cm, H, W) ``mask`` from ``noise``, with the training steps."""
        generator = self.generator
        return generator.solver.sample(
            lambda x, t: generator.velocity(x, t, mask, velocity_net=self.anchor), noise,
            num_steps=self.num_steps)

    @torch.no_grad()
    def grid_rows(self, data: dict, num_steps: Optional[int] = None,
                  guidance_scale: Optional[float] = None) -> List[torch.Tensor]:
        """Rows of a stage-2 sample grid for a preprocessed batch of N source pairs, each
        (N, 3, H, W) uint8: mask | stage 1 | aligned | real source image | references (repeated
        to N). Stage 1 (the frozen anchor) and the aligned generator paint the same masks from
        the same noise (seeded per file), so each column shows what the alignment changed."""
        generator = self.generator
        mask_row, aligned, *source = generator.grid_rows(data, num_steps, guidance_scale)
        mask = data['inputs']['mask']
        noise = generator.seeded_noise(data['data_samples'],
                                       (generator.img_channels, *mask.shape[-2:]),
                                       mask.device).to(mask.dtype)
        stage1 = generator.solver.sample(
            lambda x, t: generator.velocity(x, t, mask, guidance_scale, velocity_net=self.anchor),
            noise, num_steps=num_steps)
        count = mask.shape[0]
        picks = torch.arange(count, device=self.references.device) % len(self.references)
        references = F.interpolate(self.references[picks], size=mask.shape[-2:], mode='area')
        return [mask_row, to_uint8(stage1), aligned, *source, to_uint8(references)]

    def alignment_losses(self, inputs: dict) -> Dict[str, torch.Tensor]:
        """All loss terms for one batch of preprocessed source pairs: ``inputs['img']``
        (B, 3, H, W) in [-1, 1], ``inputs['mask']`` (B, Cm, H, W)."""
        mask, source = inputs['mask'], inputs['img']
        stage1 = Stage1Painter(lambda noise: self.paint_stage1(mask, noise),
                               lambda: self._noise(mask))
        self.reward.prepare(stage1)
        kept_steps = random.randint(1, self.grad_last_k) if self.randomize_k else self.grad_last_k
        samples = self.generator.sample(mask, noise=stage1.noise, num_steps=self.num_steps,
                                        grad_last_k=kept_steps,
                                        checkpoint=self.checkpoint_kept_steps)
        # The reward's statistics (moments, kernels, Laplacians) lose too much in bf16/fp16.
        with torch.autocast(device_type=samples.device.type, enabled=False):
            losses = self.reward(samples.float().clamp(-1, 1))
        losses['grad_last_k'] = torch.tensor(float(kept_steps))
        batch = AlignmentBatch(source, mask, samples, self.generator, self.anchor,
                               num_points=self.anchor_pairs)
        for part in self.losses:
            losses.update(part(batch))
        return losses

    def train_step(self, data: dict, optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self.alignment_losses(data['inputs'])
        total, log_vars = self.parse_losses(losses)
        if not torch.isfinite(total):
            self._nonfinite_in_a_row += 1
            optim_wrapper.zero_grad()
            print_log(f'non-finite alignment loss ({self._nonfinite_in_a_row} in a row): step '
                      'skipped', logger='current', level=30)
            if self._nonfinite_in_a_row >= self.max_nonfinite:
                raise RuntimeError(
                    f'{self._nonfinite_in_a_row} non-finite alignment losses in a row: '
                    'training stopped. The last good checkpoint is in the work dir; lower the '
                    'learning rate or grad_last_k, or check the references')
            return dict(skipped=torch.tensor(1.0))
        self._nonfinite_in_a_row = 0
        optim_wrapper.update_params(total)
        return log_vars
