"""Evaluate a checkpoint on the test set of its config; optionally save what it generates."""
import argparse
import os

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.apis import build_runner, load_config
from alignflow.utils.checkpoint import check_checkpoint_file, check_weights_fit
from mmengine.config import DictAction
from mmengine.model import is_model_wrapper


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and sample from) an AlignFlow model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out', help='write generated pairs here (images/ + masks/ layout)')
    parser.add_argument('--overwrite', action='store_true',
                        help='let --out write into a folder that holds other files, or replace '
                             'the pairs of another run there')
    parser.add_argument('--num-steps', type=int, help='ODE solver steps for sampling')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. test_dataloader.batch_size=4')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    check_checkpoint_file(args.checkpoint, 'the checkpoint argument of tools/test.py',
                          hint=f'train one with `python tools/train.py {args.config}`')
    cfg = load_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    # A stage-2 model is built from its stage-1 checkpoint: given that very file, the model as
    # built is stage 1, tested under the stage-2 config's metrics (the alignment sweep's
    # stage-1 row). Any other checkpoint is loaded over it and must fit it.
    stage1 = cfg.model.get('stage1_checkpoint')
    tests_stage1 = stage1 is not None and _same_file(stage1, args.checkpoint)
    cfg.load_from = None if tests_stage1 else args.checkpoint
    # Testing loads weights and never resumes: the config a resumed run leaves in its work
    # dir says resume=True, which would make the runner read the checkpoint as a training
    # state (and fail on one that holds weights only).
    cfg.resume = False
    if args.num_steps is not None:
        # Stage-2 models sample with the generator they fine-tune.
        cfg.model.get('generator', cfg.model).solver.num_steps = args.num_steps
    if args.out is not None:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='WriteGeneratedPairsHook', out_dir=args.out, overwrite=args.overwrite)]
    runner = build_runner(cfg)
    if tests_stage1:
        runner.logger.info(f'testing stage 1 ({args.checkpoint}, this config\'s '
                           'model.stage1_checkpoint) as the model starts from it')
    else:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        check_weights_fit(model, args.checkpoint, f'the {cfg.model.type} of {args.config}',
                          'the checkpoint argument of tools/test.py',
                          hint='test a checkpoint with the config it was trained with; a '
                               'stage-2 config tests a stage-1 checkpoint when it is also its '
                               'model.stage1_checkpoint')
    runner.test()


def _same_file(a: str, b: str) -> bool:
    """Whether two checkpoint paths (or URLs) name the same file."""
    if '://' in str(a) or '://' in str(b):
        return str(a) == str(b)
    return os.path.realpath(os.path.expanduser(a)) == os.path.realpath(os.path.expanduser(b))


if __name__ == '__main__':
    main()
