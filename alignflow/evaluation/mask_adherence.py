"""Do synthetic images show the lesion where their mask says? A segmentor trained on real
pairs segments the generated images; its prediction is scored against the conditioning mask.

Scores are per image, then averaged (the polyp literature's "mean Dice"), so one failed image
counts as much as any other; mmseg's ``IoUMetric`` pools pixels over the dataset and averages
over classes instead, which hides per-image failures behind the background class.
"""
import copy
import os.path as osp
from typing import Dict, Iterable, Optional, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.evaluator import BaseMetric
from mmengine.runner import Runner
from mmseg.structures import SegDataSample

from alignflow.registry import METRICS, MODELS
from alignflow.utils.checkpoint import load_checkpoint_weights
from alignflow.utils.config_options import merge_options


def lesion_dice_iou(pred: torch.Tensor, target: torch.Tensor,
                    foreground: int = 1) -> Tuple[float, float]:
    """Dice and IoU of the ``foreground`` label between two (H, W) label maps.

    Both empty counts as a perfect 1.0 (nothing to find, nothing found).
    """
    if pred.shape != target.shape:
        raise ValueError(f'prediction {tuple(pred.shape)} and mask {tuple(target.shape)} '
                         'differ in size')
    p, t = pred == foreground, target == foreground
    inter = float((p & t).sum())
    total = float(p.sum() + t.sum())
    if total == 0:
        return 1.0, 1.0
    return 2 * inter / total, inter / (total - inter)


@torch.no_grad()
def score_segmentor(model: torch.nn.Module, dataloader: Iterable,
                    foreground: int = 1) -> Dict[str, float]:
    """Run an mmseg segmentor's ``test_step`` over ``dataloader`` (mmseg batches with
    ``gt_sem_seg``) and score each prediction against its mask.

    Returns ``images``, mean per-image ``dice`` and ``iou`` of the foreground, ``dice_std``,
    and ``found``: the fraction of images whose Dice reaches 0.5.
    """
    model.eval()
    dice, iou = [], []
    for batch in dataloader:
        for sample in model.test_step(batch):
            d, i = lesion_dice_iou(sample.pred_sem_seg.data[0].cpu(),
                                   sample.gt_sem_seg.data[0].cpu(), foreground)
            dice.append(d)
            iou.append(i)
    if not dice:
        raise ValueError('the dataloader yielded no images to score')
    dice_t = torch.tensor(dice)
    return dict(images=len(dice), dice=float(dice_t.mean()), iou=sum(iou) / len(iou),
                dice_std=float(dice_t.std(unbiased=False)),
                found=float((dice_t >= 0.5).float().mean()))


def load_segmentor(config: str, checkpoint: str, source: str,
                   cfg_options: Optional[dict] = None) -> Tuple[torch.nn.Module, Config]:
    """Build the mmseg segmentor of ``config`` (a config file) and load ``checkpoint`` into it
    strictly; errors name the file and ``source`` (the flag they came from). Call
    :func:`alignflow.utils.register_all_modules` first. Returns (model in eval mode, config)."""
    cfg = Config.fromfile(config)
    if cfg_options:
        merge_options(cfg, cfg_options)
    model = MODELS.build(cfg.model)
    load_checkpoint_weights(model, checkpoint, what=f'the segmentor of {config}', source=source,
                            hint=f'train one with `python tools/train.py {config}`')
    return model.eval(), cfg


def score_pair_folder(model: torch.nn.Module, cfg: Config, folder: str) -> Dict[str, float]:
    """:func:`score_segmentor` on every pair of ``folder`` (``images/`` + ``masks/``, e.g.
    written by ``tools/test.py --out``), read with the segmentor config's test pipeline."""
    if not osp.isdir(osp.join(folder, 'images')) or not osp.isdir(osp.join(folder, 'masks')):
        raise FileNotFoundError(f'{folder} needs images/ and masks/ subfolders; write '
                                'generated pairs with tools/test.py --out')
    loader = copy.deepcopy(cfg.test_dataloader)
    loader.dataset.update(data_root=folder, ann_file=None, indices=None)
    loader.update(num_workers=0, persistent_workers=False)
    return score_segmentor(model, Runner.build_dataloader(loader))


def look_matched_change(stage1_on_source: float, real_source: float, aligned_on_target: float,
                        real_target: float) -> float:
    """Relative change of mask adherence from stage 1 to an aligned model, each scored against
    the real pairs of the look it has.

    A segmentor trained on real pairs rates one domain's look above another's even where the
    lesions are right (a tiny U-Net trained on Kvasir-SEG and CVC-ClinicDB scores real ClinicDB
    pairs about 30% below real Kvasir ones), so the plain change on source masks mixes a loss
    of adherence with the change of look that alignment is for. Here stage 1 (source look) is
    rated as a share of the real source pairs on the source masks, and the aligned model (the
    target's look, when alignment succeeds) as a share of the real target pairs on the target
    masks it painted, so the segmentor's preference between the looks cancels:
    ``(aligned_on_target / real_target) / (stage1_on_source / real_source) - 1``.
    The plain change assumes the look unchanged, this one assumes it fully the target's; the
    truth lies between them for a partly aligned model. Inputs are mean lesion Dice in [0, 1].
    """
    for name, value in (('stage1_on_source', stage1_on_source), ('real_source', real_source),
                        ('real_target', real_target)):
        if not value > 0:
            raise ValueError(f'look_matched_change: {name}={value} must be > 0 (a segmentor '
                             'that finds no lesion there cannot rate adherence)')
    return (aligned_on_target / real_target) / (stage1_on_source / real_source) - 1


class AdherenceGate:
    """Score synthetic pairs with a segmentor trained on real pairs: does each image show the
    lesion where its mask says? Used by ``tools/synthesize.py --filter-adherence`` to keep
    only pairs whose lesion Dice reaches ``min_dice``.

    Images are given to the segmentor as its test pipeline loads them (BGR uint8), resized to
    its ``img_size`` when the config has one and it differs; the prediction is scored against
    the mask at that size.

    Args:
        model: an mmseg segmentor (``EncoderDecoder``) with loaded weights.
        min_dice: the lesion Dice a pair needs.
        size: (H, W) the segmentor expects, or None for the images' own size.
    """

    def __init__(self, model: torch.nn.Module, min_dice: float, size=None,
                 describe_as: Optional[dict] = None):
        if not 0.0 <= min_dice <= 1.0:
            raise ValueError(f'--min-dice must be in [0, 1], got {min_dice}')
        self.model = model.eval()
        self.min_dice = min_dice
        self.size = tuple(size) if size is not None else None
        self.description = dict(describe_as or {}, min_dice=min_dice)

    def describe(self) -> dict:
        """What identifies the gate in ``synthesis.json`` (and so the run)."""
        return self.description

    @torch.no_grad()
    def scores(self, images_rgb, labels) -> list:
        """Lesion Dice of each pair: images (B, H, W, 3) uint8 RGB, labels (B, H, W) {0, 1}."""
        inputs, samples, targets = [], [], []
        for image, label in zip(images_rgb, labels):
            bgr = np.ascontiguousarray(image[..., ::-1])
            if self.size is not None and bgr.shape[:2] != self.size:
                bgr = cv2.resize(bgr, self.size[::-1], interpolation=cv2.INTER_AREA)
                label = cv2.resize(label, self.size[::-1], interpolation=cv2.INTER_NEAREST)
            height, width = bgr.shape[:2]
            inputs.append(torch.from_numpy(bgr).permute(2, 0, 1).contiguous())
            samples.append(SegDataSample(metainfo=dict(img_shape=(height, width),
                                                       ori_shape=(height, width))))
            targets.append(torch.from_numpy(np.asarray(label)).long())
        predictions = self.model.test_step(dict(inputs=inputs, data_samples=samples))
        return [lesion_dice_iou(p.pred_sem_seg.data[0].cpu(), t)[0]
                for p, t in zip(predictions, targets)]


@METRICS.register_module()
class PerImageLesionMetric(BaseMetric):
    """The polyp literature's segmentation scores: Dice and IoU of the foreground per image,
    averaged over images (as PraNet's evaluation computes "mean Dice"). Reported next to
    mmseg's ``IoUMetric``, whose ``mDice``/``mIoU`` pool pixels over the dataset and average
    over classes, background included, so the two are not interchangeable:
    ``lesion/dice_per_image``, ``lesion/iou_per_image``, ``lesion/dice_per_image_std`` and
    ``lesion/found`` (share of images with Dice >= 0.5). An image with an empty mask and an
    empty prediction scores 1.

    Args:
        foreground: the label scored.
    """

    default_prefix = 'lesion'

    def __init__(self, foreground: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.foreground = foreground

    def process(self, data_batch, data_samples) -> None:
        for sample in data_samples:
            pred = sample['pred_sem_seg']['data'][0].cpu()
            target = sample['gt_sem_seg']['data'][0].cpu().to(pred.dtype)
            self.results.append(lesion_dice_iou(pred, target, self.foreground))

    def compute_metrics(self, results) -> Dict[str, float]:
        dice = torch.tensor([d for d, _ in results], dtype=torch.float64)
        return dict(dice_per_image=float(dice.mean()),
                    iou_per_image=float(sum(i for _, i in results) / len(results)),
                    dice_per_image_std=float(dice.std(unbiased=False)),
                    found=float((dice >= 0.5).double().mean()))
