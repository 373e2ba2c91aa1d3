"""Write the aligned generator of a stage-2 checkpoint as a plain stage-1-shaped checkpoint
(LoRA updates folded in), e.g. to sample with a stage-1 config:

    python tools/export_generator.py configs/alignflow/clinicdb_5shot_lora.py \\
        work_dirs/clinicdb_5shot_lora/iter_100.pth work_dirs/clinicdb_5shot_lora/generator.pth
    python tools/test.py configs/alignflow/polyp_stage1.py \\
        work_dirs/clinicdb_5shot_lora/generator.pth --out work_dirs/pairs_clinicdb
"""
import argparse
import os.path as osp

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.apis import export_generator, load_config
from alignflow.utils import register_all_modules
from mmengine.config import DictAction


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the stage-2 config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='stage-2 checkpoint')
    parser.add_argument('out', help='generator checkpoint to write')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    register_all_modules()
    cfg = load_config(args.config, cfg_options=args.cfg_options)
    export_generator(cfg.model.to_dict(), args.checkpoint, args.out)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
