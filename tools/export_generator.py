"""Write the aligned generator of a stage-2 checkpoint as a plain stage-1-shaped checkpoint
(LoRA updates folded in), e.g. to sample with a stage-1 config:

    W=work_dirs/stage2_clinicdb_5shot_64px_lora
    python tools/export_generator.py \\
        projects/alignment_studies/configs/stage2_clinicdb_5shot_64px_lora.py \\
        $W/iter_100.pth $W/generator.pth
    python tools/test.py configs/stage1/stage1_polyp_64px.py $W/generator.pth \\
        --out work_dirs/pairs_clinicdb
"""
import argparse
import os.path as osp

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.apis import export_generator, load_config
from alignflow.utils import register_all_modules
from alignflow.utils.cli import add_debug_argument, user_errors
from mmengine.config import DictAction


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the stage-2 config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='stage-2 checkpoint')
    parser.add_argument('out', help='generator checkpoint to write')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--overwrite', action='store_true', help='replace an existing OUT')
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    with user_errors('export_generator', args.debug):
        if not osp.isfile(args.checkpoint):
            raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
        register_all_modules()
        cfg = load_config(args.config, cfg_options=args.cfg_options)
        export_generator(cfg.model.to_dict(), args.checkpoint, args.out, args.overwrite)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
