"""Write the uniform average of several checkpoints of one run (weights only), e.g. the last
five a stage-2 run kept, to test or sample from instead of the final one:

    python tools/analysis/average_checkpoints.py \\
        work_dirs/stage2_clinicdb_5shot_64px/mean_200_300.pth \\
        work_dirs/stage2_clinicdb_5shot_64px/iter_{200,225,250,275,300}.pth
    python tools/test.py configs/stage2/stage2_clinicdb_5shot_64px.py \\
        work_dirs/stage2_clinicdb_5shot_64px/mean_200_300.pth

The output holds ``state_dict`` (the average) and the last checkpoint's ``meta``; no optimizer
state, so ``tools/train.py --resume`` refuses it (``load_from`` starts a new run from it). It is
written whole or not at all, and never over one of its inputs.
"""
import argparse

import alignflow  # noqa: F401  (registers the 'local_atomic' file backend)
from alignflow.utils.checkpoint import write_average_checkpoint


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='checkpoint file to write')
    parser.add_argument('checkpoints', nargs='+', help='checkpoints of one run (2 or more)')
    parser.add_argument('--state-key', default='state_dict',
                        help="the entry to average, e.g. 'ema_state_dict' (default: state_dict)")
    parser.add_argument('--overwrite', action='store_true', help='replace an existing OUT')
    args = parser.parse_args(argv)
    try:
        write_average_checkpoint(args.out, args.checkpoints, args.state_key, args.overwrite)
    except FileExistsError as err:
        parser.error(str(err))
    print(f'wrote {args.out}: the mean of {len(args.checkpoints)} checkpoints')


if __name__ == '__main__':
    main()
