"""Turn a stage-2 checkpoint into a plain stage-1-shaped generator checkpoint."""
import os
from pathlib import Path
from typing import Union

import torch

from .generators import load_image_generator


def export_generator(model_cfg: dict, checkpoint: Union[str, Path], out: Union[str, Path],
                     overwrite: bool = False) -> torch.nn.Module:
    """Write the aligned generator of a ``FewShotAlignment`` checkpoint as a
    ``MaskConditionedFlow`` checkpoint (``{'state_dict': ...}``, LoRA updates folded into the
    weights), which stage-1 configs, ``tools/test.py`` and ``UNetEncoderFeatures`` load.

    Only the generator is built: no stage-1 checkpoint, references or reward are needed.
    The file is written under a temporary name and renamed, so it is never half-written.

    Args:
        model_cfg: the stage-2 config's ``model`` (its ``generator`` and optional ``lora``).
        checkpoint: a stage-2 checkpoint (keys ``generator.*``).
        out: the file to write: never ``checkpoint`` itself, and an existing file only with
            ``overwrite``.

    Returns:
        The exported generator.

    Raises:
        FileExistsError: ``out`` is the checkpoint, or exists without ``overwrite``.
    """
    if model_cfg.get('type') != 'FewShotAlignment':
        raise ValueError(f"expected a FewShotAlignment model config, got type="
                         f"{model_cfg.get('type')!r}; stage-1 checkpoints need no export")
    if Path(out).resolve() == Path(checkpoint).resolve():
        raise FileExistsError(f'the output {out} is the stage-2 checkpoint it exports from; '
                              'name a new file')
    if Path(out).exists() and not overwrite:
        raise FileExistsError(f'{out} exists; name a new file or pass --overwrite to replace it')
    generator = load_image_generator(model_cfg, str(checkpoint), 'this stage-2 config',
                                     'the stage-2 checkpoint')
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f'.{out.name}.{os.getpid()}.tmp')
    torch.save(dict(state_dict=generator.state_dict(),
                    meta=dict(exported_from=str(checkpoint))), tmp)
    os.replace(tmp, out)
    return generator
