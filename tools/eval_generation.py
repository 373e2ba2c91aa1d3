"""Compare a folder of generated images with a folder of real images: FID, KID, MMD,
precision/recall, and the diversity of each set. Prints a table; ``--out FILE`` also writes it
as JSON (never into the folders it reads).

    python tools/eval_generation.py GENERATED_DIR REAL_DIR [--metrics fid kid mmd precision recall]
        [--feature-space auto|inception|effnet_lite0|dino|statistics|...] [--weights PATH]
        [--size H W | --per-set-size] [--diversity-networks N] [--out results.json]

Both sets are read at one size: the feature space's own input size where it has one (299 for
Inception, 224 for DINO), else the generated images' most common size; ``--size`` picks
another, ``--per-set-size`` reads each set at its own (distances then measure the resolution
gap too). Images stream from disk a batch at a time: memory follows ``--batch-size``, not the
number of images.

The default feature space, ``auto``, is FID's Inception where its weights are on this machine
(``--weights``, $ALIGNFLOW_INCEPTION_WEIGHTS, or the torch hub cache), else ImageNet
EfficientNet-Lite0, whose weights install with the package; the output says which. Only
Inception's distances are called FID/KID; every other space reports them under its own name
(``fd_effnet_lite0``, ...). ``--feature-space inception`` insists on Inception (and downloads
its weights where there is internet).
"""
import argparse
import json
import os
import sys
from pathlib import Path

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.datasets.references import list_images
from alignflow.evaluation import (AVAILABLE_METRICS, FEATURE_SPACES, FeatureCache,
                                  build_feature_space, compute_generation_metrics,
                                  extract_features, minimum_set_size)
from alignflow.evaluation.c2st import C2ST, read_uint8, real_vs_generated
from alignflow.evaluation.image_stream import image_size_summary
from alignflow.evaluation.generation_metric import diversity_ratios, image_spread
from alignflow.features import FID_WEIGHTS_URL, WEIGHTS_ENV, InceptionWeightsUnavailable
from alignflow.utils.atomic_io import write_text_atomic
from alignflow.utils import register_all_modules
from alignflow.utils.cli import add_debug_argument, user_errors


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Generation metrics between two image folders')
    parser.add_argument('generated', help='folder of generated images (or with images/)')
    parser.add_argument('real', help='folder of real images (or with images/)')
    parser.add_argument('--metrics', nargs='+', default=['fid', 'kid'],
                        choices=AVAILABLE_METRICS)
    parser.add_argument('--feature-space', default='auto',
                        choices=['auto'] + sorted(FEATURE_SPACES),
                        help='auto (default): inception where its weights are on this machine, '
                        'else effnet_lite0 (installed with the package; not called FID)')
    parser.add_argument('--weights', help='weights of a pretrained feature space: for inception '
                        '(and auto) pytorch-fid\'s pt_inception-2015-12-05-*.pth')
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument('--size', nargs=2, type=int, metavar=('H', 'W'),
                       help='read both sets at this size (default: the feature space\'s input '
                       'size, e.g. 299x299 for inception; in a space without one, the generated '
                       'images\' most common size)')
    sizes.add_argument('--per-set-size', action='store_true',
                       help='read each set at its own most common size instead: the distances '
                       'then also measure the difference in resolution')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--device', default='cuda' if _cuda() else 'cpu')
    parser.add_argument('--kid-subsets', type=int, default=100)
    parser.add_argument('--kid-subset-size', type=int, default=1000)
    parser.add_argument('--out', help='also write the results to this JSON file (outside the '
                        'two folders)')
    parser.add_argument('--no-cache', action='store_true', help="don't cache real features")
    parser.add_argument('--c2st-source', help='real images of the source domain: also report '
                        'the share of generated images that classifiers of source vs REAL '
                        'call REAL (a classifier two-sample test, not a distance)')
    parser.add_argument('--real-vs-generated', action='store_true',
                        help='also report how well classifiers trained to tell generated from '
                        'real images do on images they did not train on (a classifier '
                        'two-sample test: 0.5 = indistinguishable)')
    parser.add_argument('--c2st-seeds', type=int, default=3, help='classifiers (seeds) of each '
                        'classifier test')
    parser.add_argument('--diversity-networks', type=int, default=10,
                        help='also report the spread of the generated images over that of the '
                        'real ones in this many random CNNs (diversity_ratio, _std, _min), both '
                        'sets read at the generated size; 0: off (default: %(default)s)')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def _cuda() -> bool:
    import torch
    return torch.cuda.is_available()


def resolve_auto_space(weights) -> str:
    """The space ``--feature-space auto`` stands for: ``'inception'`` where its weights are
    given, named by $ALIGNFLOW_INCEPTION_WEIGHTS or in the torch hub cache (never
    downloaded), else ``'effnet_lite0'``, with a line that says so and how to get FID."""
    if weights is not None or os.environ.get(WEIGHTS_ENV) or hub_inception_weights():
        return 'inception'
    print('eval_generation: the FID Inception weights are not on this machine, so the features '
          'are ImageNet EfficientNet-Lite0\'s (installed with the package): distances are '
          'reported as fd_effnet_lite0 / kd_effnet_lite0, not FID / KID. For FID, pass --weights '
          f'PATH to {os.path.basename(FID_WEIGHTS_URL)} (or set {WEIGHTS_ENV}), or '
          '--feature-space inception to download it', file=sys.stderr)
    return 'effnet_lite0'


def hub_inception_weights() -> bool:
    """Whether the FID Inception weights were downloaded into the torch hub cache."""
    import torch
    return os.path.isfile(os.path.join(torch.hub.get_dir(), 'checkpoints',
                                       os.path.basename(FID_WEIGHTS_URL)))


def set_summary(paths, name) -> tuple:
    """The most common (H, W) of a set and a line describing it."""
    size, others = image_size_summary(paths)
    note = f'{name}: {len(paths)} images, most at {size[0]}x{size[1]}'
    if others:
        note += f' ({others} of another size)'
    return size, note


def comparison_sizes(args, extractor, fake_common, real_common) -> tuple:
    """(generated size, real size, the line that says why) for the feature space; the size
    networks without an input size of their own (diversity, C2ST) read both sets at is
    ``--size`` or the generated size."""
    if args.size is not None:
        size = tuple(args.size)
        return size, size, f'both sets read at {size[0]}x{size[1]} (--size)'
    if args.per_set_size:
        return (fake_common, real_common, f'each set read at its own size (--per-set-size): '
                f'generated {fake_common[0]}x{fake_common[1]}, real '
                f'{real_common[0]}x{real_common[1]}')
    side = getattr(extractor, 'input_size', None)
    if side is not None:
        return ((side, side), (side, side), f'both sets read at {side}x{side}, the input size '
                f'of the {args.feature_space} network (--size H W to choose another)')
    return (fake_common, fake_common, f'both sets read at {fake_common[0]}x{fake_common[1]}, '
            'the generated images\' size (--size H W to choose another)')


def check_inputs(args, fake_paths, real_paths) -> None:
    """Refuse, before any feature is extracted, what the metrics cannot do; say plainly when
    the two sets share files (a folder compared with itself scores 0 by construction)."""
    shared = {Path(p).resolve() for p in fake_paths} & {Path(p).resolve() for p in real_paths}
    if shared and len(shared) == len(fake_paths) == len(real_paths):
        print(f'eval_generation: warning: the generated and the real set are the same '
              f'{len(shared)} files ({args.generated} and {args.real}): every distance is 0 '
              f'and every ratio 1 by construction, which says nothing about a generator; '
              f'give the generated images first and the real ones second', file=sys.stderr)
    elif shared:
        print(f'eval_generation: warning: {len(shared)} files are in both the generated '
              f'({args.generated}) and the real ({args.real}) set (e.g. '
              f'{sorted(shared)[0]}); they pull the distances towards 0', file=sys.stderr)
    for metric, needed in minimum_set_size(args.metrics).items():
        for name, folder, paths in (('generated', args.generated, fake_paths),
                                    ('real', args.real, real_paths)):
            if len(paths) < needed:
                raise SystemExit(f'eval_generation: {metric} needs at least {needed} images per '
                                 f'set, but the {name} folder {folder} has {len(paths)}; add '
                                 f'images or leave {metric} out of --metrics')
    if args.diversity_networks < 0:
        raise SystemExit(f'eval_generation: --diversity-networks must be >= 0 (0: off), got '
                         f'{args.diversity_networks}')
    if args.diversity_networks:
        for name, folder, paths in (('generated', args.generated, fake_paths),
                                    ('real', args.real, real_paths)):
            if len(paths) < 2:
                raise SystemExit(f'eval_generation: the diversity needs at least 2 images per '
                                 f'set, but the {name} folder {folder} has {len(paths)}; add '
                                 'images or pass --diversity-networks 0')
    if args.out is not None:
        out = Path(args.out).resolve()
        for folder in (args.generated, args.real):
            if Path(folder).resolve() in out.parents:
                raise SystemExit(f'eval_generation: --out {args.out} lies in the folder {folder}, '
                                 f'which this tool only reads; write it elsewhere')


def main(argv=None):
    args = parse_args(argv)
    with user_errors('eval_generation', args.debug):
        return evaluate(args)


def evaluate(args) -> dict:
    """The metrics of ``args`` (see :func:`parse_args`), printed and written to ``--out``."""
    register_all_modules(init_default_scope=False)
    try:
        fake_paths = list_images(args.generated, 'generated folder', 'the command line')
        real_paths = list_images(args.real, 'real folder', 'the command line')
        source_paths = (list_images(args.c2st_source, 'C2ST source folder', 'the command line')
                        if args.c2st_source is not None else [])
    except FileNotFoundError as err:
        raise SystemExit(f'eval_generation: {err}')
    check_inputs(args, fake_paths, real_paths)
    if args.feature_space == 'auto':
        args.feature_space = resolve_auto_space(args.weights)
    try:
        extractor, identity = build_feature_space(args.feature_space, args.weights)
    except InceptionWeightsUnavailable as err:
        raise SystemExit(f'{err}\nOr measure in a space that needs no download: '
                         '--feature-space effnet_lite0 (ImageNet, installed with the package; '
                         'reported as fd_effnet_lite0, not FID) or --feature-space statistics.')
    try:
        fake_common, fake_note = set_summary(fake_paths, 'generated')
        real_common, real_note = set_summary(real_paths, 'real')
    except OSError as err:
        raise SystemExit(f'eval_generation: {err}')
    fake_size, real_size, size_note = comparison_sizes(args, extractor, fake_common, real_common)
    own_size = tuple(args.size) if args.size is not None else fake_common
    print(fake_note, real_note, size_note, sep='\n')
    if fake_size != real_size:
        print('eval_generation: warning: the sets are read at different sizes, so the distances '
              'measure the difference in resolution as well as in content; leave out '
              '--per-set-size to read both at one size', file=sys.stderr)
    # Enlarge with bicubic interpolation, as clean-fid resizes for Inception.
    kwargs = dict(batch_size=args.batch_size, device=args.device, enlarge='cubic')
    try:
        print('extracting generated features')
        fake = extract_features(extractor, fake_paths, fake_size, **kwargs)
        print('extracting real features')
        if args.no_cache:
            real = extract_features(extractor, real_paths, real_size, **kwargs)
        else:
            real = FeatureCache().get_or_compute(real_paths, extractor, identity, real_size,
                                                 **kwargs)
        results = compute_generation_metrics(fake, real, args.metrics, args.feature_space,
                                             kid_subsets=args.kid_subsets,
                                             kid_subset_size=args.kid_subset_size)
        results.update(diversity=image_spread(fake), diversity_real=image_spread(real))
        if args.diversity_networks:
            ratios = diversity_ratios(fake_paths, real_paths, own_size, args.diversity_networks)
            results.update(diversity_ratio=float(ratios.mean()),
                           diversity_ratio_std=float(ratios.std()),
                           diversity_ratio_min=float(ratios.min()))
        if args.c2st_source is not None:
            print('training (or loading) the C2ST classifiers')
            test = C2ST(source_paths, real_paths, own_size, seeds=range(args.c2st_seeds))
            results.update(test.report(fake_paths))
        if args.real_vs_generated:
            print('training the real-vs-generated classifiers')
            results.update(real_vs_generated(read_uint8(fake_paths, own_size),
                                             read_uint8(real_paths, own_size),
                                             seeds=range(args.c2st_seeds)))
    except OSError as err:
        raise SystemExit(f'eval_generation: {err}')
    results.update(feature_space=args.feature_space, generated=str(Path(args.generated)),
                   real=str(Path(args.real)), generated_size=list(fake_size),
                   real_size=list(real_size))
    print('\n' + format_table(results))
    if args.out is not None:
        write_text_atomic(json.dumps(results, indent=2), args.out)
        print(f'written {args.out}')
    return results


def format_table(results: dict) -> str:
    rows = [(k, f'{v:.6g}' if isinstance(v, float) else str(v)) for k, v in results.items()]
    width = max(len(k) for k, _ in rows)
    return '\n'.join(f'{k:<{width}}  {v}' for k, v in rows)


if __name__ == '__main__':
    main()
