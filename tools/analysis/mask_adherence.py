"""Score how well images follow their masks: a segmentor trained on real pairs segments each
folder of pairs, and its prediction is compared with the folder's masks.

Use it on pairs written by ``tools/test.py CONFIG CKPT --out DIR`` (stage 1 and aligned), next
to real pairs of the source and target domains for scale:

    python tools/analysis/mask_adherence.py configs/segmentation/unet_polyp_32.py \\
        work_dirs/unet_polyp_32/iter_3000.pth stage1=work_dirs/pairs_stage1 \\
        aligned=work_dirs/pairs_k5 real_target=/data/CVC-ClinicDB --out adherence.json

Every folder is read with the segmentor config's test pipeline (``images/`` + ``masks/``).
"""
import argparse
import json
import os.path as osp
from typing import Dict, List, Tuple

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.evaluation import load_segmentor, score_pair_folder
from alignflow.utils import register_all_modules
from alignflow.utils.atomic_io import write_text_atomic
from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='segmentor config (mmseg EncoderDecoder)')
    parser.add_argument('checkpoint', help='segmentor checkpoint')
    parser.add_argument('folders', nargs='+', metavar='NAME=FOLDER',
                        help='pair folders (images/ + masks/) to score, each with a name')
    parser.add_argument('--out', help='also write the scores to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override segmentor config settings')
    return parser.parse_args(argv)


def parse_folders(items: List[str]) -> List[Tuple[str, str]]:
    folders = []
    for item in items:
        name, sep, folder = item.partition('=')
        if not sep or not name or not folder:
            raise ValueError(f'expected NAME=FOLDER, got {item!r}')
        if not osp.isdir(osp.join(folder, 'images')) or not osp.isdir(osp.join(folder, 'masks')):
            raise FileNotFoundError(f'{folder} (for {name!r}) needs images/ and masks/ '
                                    'subfolders; write generated pairs with tools/test.py --out')
        folders.append((name, folder))
    return folders


def table(scores: Dict[str, dict]) -> str:
    lines = ['| pairs | images | lesion Dice (mean ± std) | lesion IoU | found (Dice ≥ 0.5) |',
             '|---|---|---|---|---|']
    for name, s in scores.items():
        lines.append(f"| {name} | {s['images']} | {s['dice']:.3f} ± {s['dice_std']:.3f} | "
                     f"{s['iou']:.3f} | {100 * s['found']:.0f}% |")
    return '\n'.join(lines)


def main(argv=None) -> Dict[str, dict]:
    args = parse_args(argv)
    folders = parse_folders(args.folders)
    register_all_modules()
    model, cfg = load_segmentor(args.config, args.checkpoint, 'the checkpoint argument',
                                args.cfg_options)
    scores = {name: score_pair_folder(model, cfg, folder) for name, folder in folders}
    print(table(scores))
    if args.out:
        write_text_atomic(json.dumps(scores, indent=2), args.out)
    return scores


if __name__ == '__main__':
    main()
