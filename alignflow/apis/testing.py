"""Testing a checkpoint under a config (what ``tools/test.py`` runs), optionally writing what
the generator paints as a dataset."""
import os
from typing import Optional

from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from alignflow.utils.checkpoint import (CheckpointMismatchError, check_checkpoint_file,
                                        check_weights_fit, read_checkpoint, saved_model_type)
from .runner import build_runner, load_config


def same_file(a: str, b: str) -> bool:
    """Whether two checkpoint paths (or URLs) name the same file."""
    if '://' in str(a) or '://' in str(b):
        return str(a) == str(b)
    return os.path.realpath(os.path.expanduser(a)) == os.path.realpath(os.path.expanduser(b))


def build_test_runner(config: str, checkpoint: str, cfg_options: Optional[dict] = None,
                      work_dir: Optional[str] = None, launcher: str = 'none',
                      out: Optional[str] = None, overwrite: bool = False,
                      num_steps: Optional[int] = None,
                      experiment_name: Optional[str] = None,
                      checkpoint_source: str = 'the checkpoint to test') -> Runner:
    """The runner that tests ``checkpoint`` under ``config``; call its ``test()``.

    A stage-2 model is built from its stage-1 checkpoint: given that very file, the model as
    built is stage 1, tested under the stage-2 config's metrics. Any other checkpoint is loaded
    over it and must fit it (refused with what to do otherwise).

    Args:
        out: write the generated pairs here (``images/`` + ``masks/``,
            ``WriteGeneratedPairsHook``); ``overwrite`` lets it replace what is there.
        num_steps: sampling steps of the generator's solver, in place of the config's.
        experiment_name: the run's name for mmengine's loggers (default: config and second).
        checkpoint_source: where ``checkpoint`` came from, for error messages.
    """
    check_checkpoint_file(checkpoint, checkpoint_source,
                          hint=f'train one with `python tools/train.py {config}`')
    cfg = load_config(config, launcher, cfg_options, work_dir)
    stage1 = cfg.model.get('stage1_checkpoint')
    tests_stage1 = stage1 is not None and same_file(stage1, checkpoint)
    cfg.load_from = None if tests_stage1 else checkpoint
    # Testing loads weights and never resumes: the config a resumed run leaves in its work
    # dir says resume=True, which would make the runner read the checkpoint as a training
    # state (and fail on one that holds weights only).
    cfg.resume = False
    if experiment_name is not None:
        cfg.experiment_name = experiment_name
        # mmengine keeps one visualizer per name: under the config's fixed name a second test
        # in this process would write its logs into the first one's folder.
        if isinstance(cfg.get('visualizer'), dict):
            cfg.visualizer.name = experiment_name
    if num_steps is not None:
        # Stage-2 models sample with the generator they fine-tune.
        cfg.model.get('generator', cfg.model).solver.num_steps = num_steps
    if out is not None:
        _check_paints_images(cfg.model.get('type'), config, checkpoint)
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='WriteGeneratedPairsHook', out_dir=out, overwrite=overwrite)]
    runner = build_runner(cfg)
    if tests_stage1:
        runner.logger.info(f'testing stage 1 ({checkpoint}, this config\'s '
                           'model.stage1_checkpoint) as the model starts from it')
    else:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        check_weights_fit(model, checkpoint, f'the {cfg.model.type} of {config}',
                          checkpoint_source,
                          hint='test a checkpoint with the config it was trained with; a '
                               'stage-2 config tests a stage-1 checkpoint when it is also its '
                               'model.stage1_checkpoint')
        _check_saved_type(checkpoint, checkpoint_source, cfg.model.get('type'), config)
    return runner


def _check_paints_images(model_type, config: str, checkpoint: str) -> None:
    """``--out`` writes image-mask pairs: refuse, before anything is written, a model that
    paints no images (a mask generator)."""
    from alignflow.models.generators import FewShotAlignment, MaskConditionedFlow
    from alignflow.registry import MODELS
    cls = MODELS.get(model_type) if isinstance(model_type, str) else model_type
    if cls is not None and not issubclass(cls, (MaskConditionedFlow, FewShotAlignment)):
        raise ValueError(
            f'--out writes the image-mask pairs an image generator paints, but {config} builds '
            f'a {cls.__name__}, which paints no images; test it without --out, or paint '
            f'its masks with tools/synthesize.py IMAGE_CONFIG IMAGE_CKPT --mask-config {config} '
            f'--mask-ckpt {checkpoint} --num N --out-dir DIR')


def _check_saved_type(checkpoint: str, source: str, model_type: str, config: str) -> None:
    """Refuse a checkpoint whose run saved another model type than the config builds (a mask
    generator's weights share most keys with an image generator's, so the key check alone
    would test a partly random model)."""
    if '://' in str(checkpoint):
        return
    saved = saved_model_type(read_checkpoint(checkpoint, source))
    if saved is not None and saved != model_type:
        raise CheckpointMismatchError(
            f'checkpoint {checkpoint} (from {source}) was saved by a {saved} run, but {config} '
            f'builds a {model_type}; test it with the config it was trained with')
