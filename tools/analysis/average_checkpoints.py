"""Write the uniform average of several checkpoints of one run (weights only), e.g. the last
five a stage-2 run kept, to test or sample from instead of the final one:

    python tools/analysis/average_checkpoints.py work_dirs/clinicdb_5shot/mean_200_300.pth \\
        work_dirs/clinicdb_5shot/iter_{200,225,250,275,300}.pth
    python tools/test.py configs/alignflow/clinicdb_5shot.py \\
        work_dirs/clinicdb_5shot/mean_200_300.pth

The output holds ``state_dict`` (the average) and the last checkpoint's ``meta``; no optimizer
state, so ``tools/train.py --resume`` refuses it (``load_from`` starts a new run from it). It is
written whole or not at all, and never over one of its inputs.
"""
import argparse
import os.path as osp

import alignflow  # noqa: F401  (registers the 'local_atomic' file backend)
from alignflow.utils.checkpoint import average_checkpoints
from mmengine.runner.checkpoint import save_checkpoint


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='checkpoint file to write')
    parser.add_argument('checkpoints', nargs='+', help='checkpoints of one run (2 or more)')
    parser.add_argument('--state-key', default='state_dict',
                        help="the entry to average, e.g. 'ema_state_dict' (default: state_dict)")
    parser.add_argument('--overwrite', action='store_true', help='replace an existing OUT')
    args = parser.parse_args(argv)
    inputs = {osp.realpath(path) for path in args.checkpoints}
    if osp.realpath(args.out) in inputs:
        parser.error(f'OUT {args.out} is one of the checkpoints to average: name a new file')
    if osp.exists(args.out) and not args.overwrite:
        parser.error(f'OUT {args.out} exists: name a new file or pass --overwrite')
    averaged = average_checkpoints(args.checkpoints, args.state_key)
    # As the runner's CheckpointHook saves (the schedule bases): a temporary name, then a rename.
    save_checkpoint(averaged, args.out, backend_args=dict(backend='local_atomic'))
    print(f'wrote {args.out}: the mean of {len(args.checkpoints)} checkpoints')


if __name__ == '__main__':
    main()
