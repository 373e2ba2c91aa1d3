"""Stage 2: align a stage-1 flow to a target domain with a differentiable distribution reward."""
import copy
import math
import os.path as osp
import random
import re
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmengine.runner.checkpoint import _load_checkpoint

from alignflow.datasets.references import (list_images, load_images, resolve_image_folder,
                                           split_references)
from alignflow.models.adapters import inject_lora, merge_lora
from alignflow.registry import MODELS, REWARDS


def load_stage1_weights(generator: torch.nn.Module, checkpoint: str,
                        stage1_config: Optional[str] = None) -> None:
    """Load a stage-1 checkpoint (its ``state_dict``: EMA weights when it was trained with
    ``EMAHook``) into ``generator``, refusing missing files and architecture mismatches with
    a message that says what to do."""
    train_cmd = f'python tools/train.py {stage1_config}' if stage1_config else \
        'python tools/train.py <stage-1 config>'
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'stage-1 checkpoint {checkpoint} does not exist; train stage 1 '
                                f'first with `{train_cmd}`, or set model.stage1_checkpoint')
    state = _load_checkpoint(checkpoint, map_location='cpu')
    state = state.get('state_dict', state)
    own = generator.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    mismatched = [f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}'
                  for k, v in own.items() if k in state and state[k].shape != v.shape]
    if missing or unexpected or mismatched:
        details = '; '.join(filter(None, [
            f'missing {missing[:3]}' if missing else '',
            f'unexpected {unexpected[:3]}' if unexpected else '',
            f'shape mismatch {mismatched[:3]}' if mismatched else '']))
        raise RuntimeError(f'stage-1 checkpoint {checkpoint} does not match the generator in '
                           f'this config ({details}); align model.generator with the stage-1 '
                           f'config it was trained with ({stage1_config or "unknown"})')
    generator.load_state_dict(state, strict=True)


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

    A non-finite total skips the step; ``max_nonfinite`` in a row stop training.

    Checkpoints hold the generator only: the anchor and the reward (its frozen feature
    extractor) are rebuilt from the config at construction, so their keys are left out of
    :meth:`state_dict` and not reported missing on loading (older checkpoints that have them
    still load).

    Args:
        generator: ``MaskConditionedFlow`` config (the stage-1 architecture).
        stage1_checkpoint: stage-1 checkpoint path.
        reward: reward config (registry REWARDS), e.g. ``MMDReward``.
        references: ``dict(folder, k, seed=0, img_size=(H, W), list_file=None,
            num_heldout=None, heldout_seed=0)``: the target images (a folder or a dataset
            config) and how to split them, see
            :func:`alignflow.datasets.references.split_references`.
        stage1_config: the stage-1 config, named in errors.
        num_steps: solver steps while aligning (the generator's default when None).
        grad_last_k: steps that keep gradients; randomize_k draws it from [1, grad_last_k].
        fm_weight: weight (lambda) of the flow-matching regulariser.
        anchor_weight: weight of the stage-1 anchor regulariser.
        adaptive_fm_weight: scale lambda by exp(rate * (fm / fm_start - 1 - slack)) (clipped to
            [0.1, 10] x lambda) so it grows when the source flow-matching loss drifts up from
            where alignment started; None keeps lambda fixed.
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
                 references: dict,
                 stage1_config: Optional[str] = None,
                 num_steps: Optional[int] = None,
                 grad_last_k: int = 5,
                 randomize_k: bool = False,
                 fm_weight: float = 0.5,
                 anchor_weight: float = 1.0,
                 adaptive_fm_weight: Optional[dict] = None,
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
        self.reward = REWARDS.build(reward) if isinstance(reward, dict) else reward
        self.reward.requires_grad_(False)
        self.num_steps = num_steps or generator.solver.num_steps
        if not 1 <= grad_last_k <= self.num_steps:
            raise ValueError(f'grad_last_k must be in [1, {self.num_steps}], got {grad_last_k}')
        self.grad_last_k = grad_last_k
        self.randomize_k = randomize_k
        self.fm_weight = fm_weight
        self.anchor_weight = anchor_weight
        self.adaptive_fm_weight = adaptive_fm_weight
        self._fm_start: Optional[float] = None
        self.max_nonfinite = max_nonfinite
        self._nonfinite_in_a_row = 0
        self._freeze_except(trainable)
        self.reference_split = self._load_references(**references)
        self.register_state_dict_post_hook(_drop_rebuilt_keys)
        self.register_load_state_dict_post_hook(_ignore_missing_rebuilt_keys)

    def merged_generator(self) -> torch.nn.Module:
        """A copy of the generator with any LoRA updates folded into its weights: the
        stage-1 architecture and state-dict keys."""
        return merge_lora(copy.deepcopy(self.generator))

    def _freeze_except(self, trainable: Union[str, Sequence[str]]) -> None:
        if trainable == 'all':
            return
        patterns = [re.compile(p) for p in ([trainable] if isinstance(trainable, str)
                                            else trainable)]
        selected = 0
        for name, param in self.generator.named_parameters():
            keep = any(p.search(name) for p in patterns)
            param.requires_grad_(keep)
            selected += keep
        if not selected:
            raise ValueError(f'trainable={trainable} matches no generator parameter; names look '
                             f'like {next(iter(dict(self.generator.named_parameters())))}')

    def _load_references(self, folder: Union[str, dict], k: Union[int, str], seed: int = 0,
                         img_size=(64, 64), **split_kwargs):
        folder = resolve_image_folder(folder)
        split = split_references(list_images(folder), k=k, seed=seed, **split_kwargs)
        size = (img_size, img_size) if isinstance(img_size, int) else tuple(img_size)
        self.reward.set_references(load_images(split.references, size))
        print_log(f'{len(split.references)} references from {folder} (seed {seed}): '
                  f'{", ".join(p.name for p in split.references)}', logger='current')
        return split

    def forward(self, inputs: dict, data_samples=None, mode: str = 'tensor'):
        return self.generator(inputs, data_samples, mode)

    def _current_fm_weight(self, fm_loss: torch.Tensor) -> float:
        if self.adaptive_fm_weight is None:
            return self.fm_weight
        value = float(fm_loss.detach())
        if self._fm_start is None:
            self._fm_start = value
        rate = self.adaptive_fm_weight.get('rate', 1.0)
        slack = self.adaptive_fm_weight.get('slack', 0.1)
        scale = math.exp(rate * (value / max(self._fm_start, 1e-12) - 1 - slack))
        return self.fm_weight * min(max(scale, 0.1), 10.0)

    def alignment_losses(self, inputs: dict) -> Dict[str, torch.Tensor]:
        """All loss terms for one batch of preprocessed source pairs."""
        generator = self.generator
        mask, x1 = inputs['mask'], inputs['img']
        k = random.randint(1, self.grad_last_k) if self.randomize_k else self.grad_last_k
        images = generator.sample(mask, num_steps=self.num_steps, grad_last_k=k,
                                  checkpoint=True)
        # The reward's statistics (moments, kernels, Laplacians) lose too much in bf16/fp16.
        with torch.autocast(device_type=images.device.type, enabled=False):
            losses = self.reward(images.float().clamp(-1, 1))
        losses['grad_last_k'] = torch.tensor(float(k))
        x0 = torch.randn_like(x1)
        t = generator.time_sampler(x1.shape[0], device=x1.device)
        path_sample = generator.path.sample(x0, x1, t)
        velocity = generator.velocity_net(path_sample.x_t, t, mask)
        fm_loss = F.mse_loss(velocity.float(), path_sample.dx_t.float())
        fm_weight = self._current_fm_weight(fm_loss)
        losses['loss_fm'] = fm_weight * fm_loss
        losses['fm_weight'] = torch.tensor(fm_weight)
        if self.anchor_weight > 0:
            with torch.no_grad():
                anchor_velocity = self.anchor(path_sample.x_t, t, mask)
            losses['loss_anchor'] = self.anchor_weight * F.mse_loss(
                velocity.float(), anchor_velocity.float())
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
