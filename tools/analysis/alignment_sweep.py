"""Run a stage-2 config over shot counts and reference draws, and tabulate the evidence.

For every (k, seed) it trains ``CONFIG`` with ``k`` references drawn with ``seed`` (re-reading
finished runs, resuming interrupted ones, refusing runs made with other settings), reads the
validation metrics the run logged before alignment (stage 1), during and after it, and writes
``summary.json`` and ``summary.md`` in the work root: per shot count the mean and spread over
draws of the distance to held-out target images, high-frequency energy and diversity next to
those of real target images, the C2ST target share (when the config measures it), and how the
last checkpoint compares with the best one (see ``alignflow.protocol.sweep``).

    python tools/analysis/alignment_sweep.py configs/stage2/stage2_toy_5shot_32px.py \\
        --shots 1 5 10 all --seeds 0 1 2 --work-root work_dirs/sweep_toy

``--adherence SEG_CONFIG SEG_CHECKPOINT MASKS`` also scores mask adherence: stage 1 and every
final checkpoint paint the masks of ``MASKS`` (held-out source pairs, ``images/`` + ``masks/``)
and the segmentor scores each image against its mask (lesion Dice per image). That change
assumes the look unchanged: a segmentor rates one domain's look above another's.
``--adherence-target PAIRS`` (held-out real target pairs, never references) also paints the
target's masks and gives the look-matched change, each model rated against the real pairs of
the look it has.
"""
import argparse

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.protocol.store import StaleArtefactError
from alignflow.protocol.sweep import AlignmentSweep
from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--shots', nargs='+', default=['1', '5', '10', 'all'])
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--work-root', required=True)
    parser.add_argument('--metric', default='gen/kd_randomconv',
                        help='validation scalar to tabulate (lower is better)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='extra overrides for every run, e.g. train_cfg.max_iters=300')
    parser.add_argument('--adherence', nargs=3, metavar=('SEG_CONFIG', 'SEG_CHECKPOINT', 'MASKS'),
                        help='also score mask adherence with this mmseg segmentor on pairs '
                        'painted for the masks of MASKS (held-out source pairs)')
    parser.add_argument('--adherence-target', metavar='PAIRS',
                        help='with --adherence: also paint the masks of these held-out real '
                        'target pairs and rate adherence against the real pairs of each look')
    args = parser.parse_args(argv)
    if args.adherence_target and not args.adherence:
        parser.error('--adherence-target needs --adherence SEG_CONFIG SEG_CHECKPOINT MASKS')
    return args


def main(argv=None):
    args = parse_args(argv)
    shots = [s if s == 'all' else int(s) for s in args.shots]
    try:
        sweep = AlignmentSweep(args.config, args.work_root, shots, args.seeds, args.metric,
                               args.cfg_options, args.adherence, args.adherence_target)
        return sweep.run()
    except (FileNotFoundError, StaleArtefactError) as err:
        raise SystemExit(f'alignment_sweep: {err}')


if __name__ == '__main__':
    main()
