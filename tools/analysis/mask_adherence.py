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

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.evaluation.adherence_report import adherence_table, score_folders
from alignflow.utils.cli import add_debug_argument, user_errors
from mmengine.config import DictAction


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='segmentor config (mmseg EncoderDecoder)')
    parser.add_argument('checkpoint', help='segmentor checkpoint')
    parser.add_argument('folders', nargs='+', metavar='NAME=FOLDER',
                        help='pair folders (images/ + masks/) to score, each with a name')
    parser.add_argument('--out', help='also write the scores to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override segmentor config settings')
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    with user_errors('mask_adherence', args.debug):
        scores = score_folders(args.config, args.checkpoint, args.folders, args.cfg_options,
                               args.out)
    print(adherence_table(scores))


if __name__ == '__main__':
    main()
