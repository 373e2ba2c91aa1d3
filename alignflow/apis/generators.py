"""Build a trained generator from its config and checkpoint, whatever stage wrote it."""
import copy
from typing import Optional

from alignflow.models.adapters import inject_lora, merge_lora
from alignflow.registry import MODELS
from alignflow.utils.checkpoint import load_checkpoint_weights, read_checkpoint, saved_model_type

IMAGE_MODELS = ('MaskConditionedFlow', 'FewShotAlignment')
MASK_MODELS = ('MaskFlow', )


def _check_kind(model_type: Optional[str], allowed, what: str, flag: str, config: str) -> None:
    if model_type in allowed:
        return
    if model_type in MASK_MODELS:
        raise ValueError(f'{config} is a mask generator ({model_type}), not {what}; give it '
                         f'with --mask-config/--mask-ckpt')
    if model_type in IMAGE_MODELS:
        raise ValueError(f'{config} is an image generator ({model_type}), not {what}; give it '
                         f'as the image config and checkpoint')
    raise ValueError(f'{config} builds a {model_type!r} model, not {what} ({", ".join(allowed)});'
                     f' pass the config the checkpoint given as {flag} was trained with')


def load_image_generator(model_cfg: dict, checkpoint: str, config: str = 'the image config',
                         source: str = 'the image checkpoint'):
    """The image generator (a ``MaskConditionedFlow``, eval mode) of a stage-1 checkpoint, a
    stage-2 (``FewShotAlignment``) checkpoint with any LoRA updates merged, or an exported one.

    Args:
        model_cfg: the ``model`` of the config the checkpoint was trained with.
        checkpoint: the checkpoint file.
        config, source: how errors name the config and the checkpoint (e.g. a flag).

    Raises:
        ValueError: the config or the checkpoint is a mask generator, a segmentor, ...
        CheckpointMismatchError: the checkpoint does not fit the config's generator.
    """
    kind = model_cfg.get('type')
    _check_kind(kind, IMAGE_MODELS, 'an image generator', source, config)
    ckpt = read_checkpoint(checkpoint, source)
    saved = saved_model_type(ckpt)
    if saved is not None:
        _check_kind(saved, IMAGE_MODELS, 'an image generator', source, f'checkpoint {checkpoint}')
    stage2 = kind == 'FewShotAlignment'
    generator = MODELS.build(copy.deepcopy(model_cfg['generator'] if stage2 else model_cfg))
    if stage2 and model_cfg.get('lora'):
        inject_lora(generator.velocity_net, **model_cfg['lora'])
    load_checkpoint_weights(generator, checkpoint, prefix='generator.' if stage2 else '',
                            what=f'the generator of {config}', source=source, ckpt=ckpt,
                            hint='pass the config the checkpoint was trained with')
    return merge_lora(generator).eval()


def load_mask_generator(model_cfg: dict, checkpoint: str, config: str = 'the mask config',
                        source: str = '--mask-ckpt'):
    """The ``MaskFlow`` (eval mode) of a mask-generator checkpoint; errors as
    :func:`load_image_generator`."""
    _check_kind(model_cfg.get('type'), MASK_MODELS, 'a mask generator', source, config)
    ckpt = read_checkpoint(checkpoint, source)
    saved = saved_model_type(ckpt)
    if saved is not None:
        _check_kind(saved, MASK_MODELS, 'a mask generator', source, f'checkpoint {checkpoint}')
    generator = MODELS.build(copy.deepcopy(model_cfg))
    load_checkpoint_weights(generator, checkpoint, what=f'the mask generator of {config}',
                            source=source, ckpt=ckpt,
                            hint='pass the config the checkpoint was trained with')
    return generator.eval()
