"""Write the pair folders an adherence instrument is trained and scored on, from a source and a
target pair folder, with the target split the stage-2 configs use
(:mod:`alignflow.datasets.adherence_sets` says what each folder holds):

    python tools/analysis/adherence_sets.py /data/Kvasir-SEG /data/CVC-ClinicDB work_dirs/adh
"""
import argparse

from alignflow.datasets.adherence_sets import write_adherence_sets


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('source', help='source pair folder (images/ + masks/)')
    parser.add_argument('target', help='target pair folder (images/ + masks/)')
    parser.add_argument('out', help='output folder (must not be inside either input)')
    parser.add_argument('--num-heldout', type=int, default=100,
                        help="the target's held-out set, as reference_split.num_heldout")
    parser.add_argument('--heldout-seed', type=int, default=0,
                        help='as reference_split.heldout_seed')
    parser.add_argument('--source-train', type=int, default=150,
                        help='source pairs the instrument trains on (the rest are painted)')
    parser.add_argument('--target-train', type=int, default=50,
                        help='held-out target pairs the instrument trains on')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        write_adherence_sets(args.source, args.target, args.out, args.num_heldout,
                             args.heldout_seed, args.source_train, args.target_train)
    except (ValueError, FileNotFoundError, OSError) as err:
        raise SystemExit(f'adherence_sets: {err}')


if __name__ == '__main__':
    main()
