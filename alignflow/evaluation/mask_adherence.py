"""Do synthetic images show the lesion where their mask says? A segmentor trained on real
pairs segments the generated images; its prediction is scored against the conditioning mask.

Scores are per image, then averaged (the polyp literature's "mean Dice"), so one failed image
counts as much as any other; mmseg's ``IoUMetric`` pools pixels over the dataset and averages
over classes instead, which hides per-image failures behind the background class.
"""
from typing import Dict, Iterable, Tuple

import torch


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
                dice_std=float(dice_t.std(unbiased=False)), found=float((dice_t >= 0.5).float()
                                                                     .mean()))
