"""Stage 2: align a stage-1 flow to a target domain with a differentiable distribution reward."""
import copy
import random
import re
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper

from alignflow.datasets.references import load_images
from alignflow.flow import flow_matching_loss
from alignflow.models.adapters import inject_lora, merge_lora, train_only
from alignflow.registry import MODELS, REWARDS
from alignflow.utils.checkpoint import load_checkpoint_weights
from alignflow.losses import AdaptiveWeight


STAGE1_SPREAD_DRAWS = 4  # stage-1 batches averaged into the guard's target (guard_spread='stage1')


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

    One training step, for a batch of source pairs (masks m, images x1):

    1. sample images from noise for the masks m, keeping gradients through the last
       ``grad_last_k`` solver steps (random in [1, grad_last_k] when ``randomize_k``), each
       step recomputed in backward (gradient checkpointing), so memory does not grow with K;
    2. ``loss_reward``: the reward's distance between their features and the reference bank
       (plus ``loss_hf``, its guard against high-frequency reward hacking);
    3. ``loss_fm`` = ``fm_weight`` x flow-matching loss on the source pairs (keeps the model a
       flow that follows masks);
    4. ``loss_anchor`` = ``anchor_weight`` x ||v_theta - v_stage1||^2 on the same noised source
       pairs, against a frozen copy of the stage-1 velocity field (bounds drift);
    5. ``loss_mask_anchor`` = ``mask_anchor_weight`` x ||e_theta - e_stage1||^2 with
       e = v(x_t, t, m) - v(x_t, t, null): anchors only what the mask changes in the velocity
       (where and how the lesion is painted) and leaves its mask-independent part, the
       domain's look, to the reward. Needs a stage 1 trained with ``cond_dropout`` > 0, so
       that the null condition means something.

    Terms 4 and 5 are evaluated at noised source pairs (``anchor_points='source'``) or at the
    model's own samples of step 1, detached and noised along the path for the same masks
    (``'samples'``): where the aligned model's trajectories go once its look has moved away
    from the source images, which the source points no longer cover.

    The reward's diversity guard holds the batch's spread to the references' own
    (``guard_spread='references'``) or to stage 1's (``'stage1'``): the mean spread of
    :data:`STAGE1_SPREAD_DRAWS` batches stage 1's frozen copy paints for the first batch's masks,
    measured once (again after a resume: the anchor is stage 1 whatever the run has trained).
    With 5 references the first is a noisy estimate of the target's spread (docs/benchmarks.md,
    "64 px, continued"); the second keeps the variety stage 1 had, as far as the first batch's
    masks speak for the rest. ``'stage1_batch'`` measures it on every step instead, on the batch
    stage 1 paints from the same noise for the same masks (one more sampling pass, without
    gradients): the guard then compares like with like, whatever masks a batch holds.

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
        ...     grad_last_k=1)
        >>> inputs = dict(img=torch.zeros(2, 3, 8, 8), mask=torch.zeros(2, 1, 8, 8))
        >>> sorted(k for k in model.alignment_losses(inputs) if k.startswith('loss'))
        ['loss_anchor', 'loss_fm', 'loss_hf', 'loss_reward']

    Args:
        generator: ``MaskConditionedFlow`` config (the stage-1 architecture).
        stage1_checkpoint: stage-1 checkpoint path.
        reward: reward config (registry REWARDS), e.g. ``MMDReward``.
        reference_images: the target-domain reference image files (the reward's bank). A
            config does not write them: it names its split once, as the top-level
            ``reference_split``, and :func:`alignflow.apis.prepare_reference_split` fills
            this in.
        reference_size: (H, W) (or one int) the references are resized to: the generator's
            output size.
        stage1_config: the stage-1 config, named in errors.
        num_steps: solver steps while aligning (the generator's default when None).
        grad_last_k: steps that keep gradients; randomize_k draws it from [1, grad_last_k].
        fm_weight: weight (lambda) of the flow-matching regulariser.
        anchor_weight: weight of the stage-1 anchor regulariser.
        mask_anchor_weight: weight of the mask-effect anchor (term 5; 0 leaves it out).
        anchor_points: 'source' or 'samples': where terms 4 and 5 are evaluated.
        adaptive_fm_weight: ``dict(rate=1.0, slack=0.1)`` makes lambda an
            :class:`AdaptiveWeight` of the source flow-matching loss (it grows when that loss
            drifts up from where alignment started); None keeps lambda fixed.
        trainable: 'all', or regular expressions of parameter names to fine-tune (the rest is
            frozen), e.g. ``[r'velocity_net\\.(output_blocks|out_)']`` for the decoder half.
        lora: ``dict(targets=[regex, ...], rank=4, alpha=4.0)``: fine-tune low-rank updates
            of the ``generator.velocity_net`` Conv2d/Linear layers whose names (e.g.
            ``output_blocks.0.1.qkv``) match ``targets`` instead of the weights, everything
            else frozen (see :func:`alignflow.models.adapters.inject_lora`); needs
            ``trainable='all'``. :meth:`merged_generator` gives back a plain generator.
        guard_spread: 'references', 'stage1' or 'stage1_batch': the spread the reward's
            diversity guard holds (the stage-1 ones need the guard on,
            ``reward.diversity_weight`` > 0).
        max_nonfinite: consecutive non-finite steps tolerated before training stops.
    """

    def __init__(self,
                 generator: dict,
                 stage1_checkpoint: str,
                 reward: dict,
                 reference_images: Sequence[str],
                 reference_size: Union[int, Tuple[int, int]] = 64,
                 stage1_config: Optional[str] = None,
                 num_steps: Optional[int] = None,
                 grad_last_k: int = 5,
                 randomize_k: bool = False,
                 fm_weight: float = 0.5,
                 anchor_weight: float = 1.0,
                 mask_anchor_weight: float = 0.0,
                 anchor_points: str = 'source',
                 adaptive_fm_weight: Optional[dict] = None,
                 trainable: Union[str, Sequence[str]] = 'all',
                 lora: Optional[dict] = None,
                 guard_spread: str = 'references',
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
        self.num_steps = num_steps or generator.solver.num_steps
        if not 1 <= grad_last_k <= self.num_steps:
            raise ValueError(f'grad_last_k must be in [1, {self.num_steps}], got {grad_last_k}')
        self.grad_last_k = grad_last_k
        self.randomize_k = randomize_k
        adaptive = {} if adaptive_fm_weight is None else {'rate': 1.0, **adaptive_fm_weight}
        self.fm_weight_schedule = AdaptiveWeight(fm_weight, **adaptive)
        self.anchor_weight = anchor_weight
        if mask_anchor_weight > 0 and not getattr(generator, 'cond_dropout', 0.0):
            raise ValueError(
                f'mask_anchor_weight={mask_anchor_weight} compares the velocity with and '
                f'without the mask, but the stage-1 generator was configured with '
                f'cond_dropout=0, so its null condition was never trained: use a stage 1 '
                f'trained with cond_dropout > 0, or mask_anchor_weight=0')
        self.mask_anchor_weight = mask_anchor_weight
        if anchor_points not in ('source', 'samples'):
            raise ValueError(f"anchor_points must be 'source' (noised source pairs) or "
                             f"'samples' (the model's own samples, noised), got "
                             f'{anchor_points!r}')
        self.anchor_points = anchor_points
        if guard_spread not in ('references', 'stage1', 'stage1_batch'):
            raise ValueError(f"guard_spread must be 'references', 'stage1' or 'stage1_batch', "
                             f'got {guard_spread!r}')
        if guard_spread != 'references' and not self.reward.diversity_weight > 0:
            raise ValueError(f'guard_spread={guard_spread!r} sets the diversity guard\'s target, '
                             'but the guard is off: set reward.diversity_weight > 0, or drop '
                             'guard_spread')
        self.guard_spread = guard_spread
        self._stage1_spread_held = False
        self.max_nonfinite = max_nonfinite
        self._nonfinite_in_a_row = 0
        if not reference_images:
            raise ValueError('FewShotAlignment needs reference images; name them with the '
                             'top-level reference_split of the config')
        size = (reference_size, ) * 2 if isinstance(reference_size, int) else reference_size
        self.reward.set_references(load_images(reference_images, tuple(size)))
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
    def hold_stage1_spread(self, mask: torch.Tensor) -> torch.Tensor:
        """Key the diversity guard to the spread of :data:`STAGE1_SPREAD_DRAWS` batches that
        stage 1 paints for the (B, Cm, H, W) ``mask`` from fresh noise; returns it, (N,) one
        per space of the guard."""
        batches = [self.paint_stage1(mask, self._noise(mask)) for _ in range(STAGE1_SPREAD_DRAWS)]
        with torch.autocast(device_type=mask.device.type, enabled=False):
            spread = self.reward.hold_spread_of(batches)
        print_log(f'diversity guard: holds stage 1\'s spread '
                  f'{", ".join(f"{value:.4f}" for value in spread.tolist())} (mean of '
                  f'{STAGE1_SPREAD_DRAWS} batches of {mask.shape[0]})', logger='current')
        self._stage1_spread_held = True
        return spread

    def alignment_losses(self, inputs: dict) -> Dict[str, torch.Tensor]:
        """All loss terms for one batch of preprocessed source pairs: ``inputs['img']``
        (B, 3, H, W) in [-1, 1], ``inputs['mask']`` (B, Cm, H, W)."""
        generator = self.generator
        mask, x1 = inputs['mask'], inputs['img']
        if self.guard_spread == 'stage1' and not self._stage1_spread_held:
            self.hold_stage1_spread(mask)
        k = random.randint(1, self.grad_last_k) if self.randomize_k else self.grad_last_k
        noise = self._noise(mask)
        if self.guard_spread == 'stage1_batch':
            stage1_images = self.paint_stage1(mask, noise)
            with torch.autocast(device_type=mask.device.type, enabled=False):
                self.reward.hold_spread_of([stage1_images])
        images = generator.sample(mask, noise=noise, num_steps=self.num_steps, grad_last_k=k,
                                  checkpoint=True)
        # The reward's statistics (moments, kernels, Laplacians) lose too much in bf16/fp16.
        with torch.autocast(device_type=images.device.type, enabled=False):
            losses = self.reward(images.float().clamp(-1, 1))
        losses['grad_last_k'] = torch.tensor(float(k))
        x0 = torch.randn_like(x1)
        t = generator.time_sampler(x1.shape[0], device=x1.device)
        path_sample = generator.path.sample(x0, x1, t)
        velocity = generator.velocity_net(path_sample.x_t, t, mask)
        fm_loss = flow_matching_loss(velocity, path_sample.dx_t)
        fm_weight = self.fm_weight_schedule(float(fm_loss.detach()))
        losses['loss_fm'] = fm_weight * fm_loss
        losses['fm_weight'] = torch.tensor(fm_weight)
        if self.anchor_weight > 0 or self.mask_anchor_weight > 0:
            x_t = path_sample.x_t
            if self.anchor_points == 'samples':
                own = images.detach().float().clamp(-1, 1)
                t = generator.time_sampler(own.shape[0], device=own.device)
                x_t = generator.path.sample(torch.randn_like(own), own, t).x_t
                velocity = generator.velocity_net(x_t, t, mask)
            with torch.no_grad():
                anchor_velocity = self.anchor(x_t, t, mask)
        if self.anchor_weight > 0:
            losses['loss_anchor'] = self.anchor_weight * flow_matching_loss(
                velocity, anchor_velocity)
        if self.mask_anchor_weight > 0:
            with torch.no_grad():
                anchor_effect = anchor_velocity - self.anchor(x_t, t, None)
            effect = velocity - generator.velocity_net(x_t, t, None)
            losses['loss_mask_anchor'] = self.mask_anchor_weight * flow_matching_loss(
                effect, anchor_effect)
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
