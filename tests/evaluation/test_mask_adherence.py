"""The mask-adherence check: per-image lesion Dice of a segmentor on pair folders."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.structures import PixelData

from alignflow.evaluation import lesion_dice_iou
from alignflow.evaluation.adherence_report import parse_named_folders, score_folders
from alignflow.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
SEG_CONFIG = REPO / 'configs' / 'segmentation' / 'unet_polyp_32.py'


@MODELS.register_module(force=True)
class RedThresholdSegmentor(BaseModel):
    """Test stand-in for a trained segmentor: lesion = pixels whose red value exceeds 128."""

    def __init__(self, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, inputs, data_samples=None, mode='predict'):
        red = inputs[:, 2] if inputs.dim() == 4 else torch.stack(inputs)[:, 2]  # BGR as loaded
        for sample, image_red in zip(data_samples, red):
            sample.pred_sem_seg = PixelData(data=(image_red > 128).long()[None])
        return data_samples


def write_pairs(root: Path, lesions, mask_offsets):
    """One 32x32 pair per entry: a red disk at ``lesion`` (None: none) in the image and the
    same disk moved by ``offset`` pixels (None: an empty mask) in the mask."""
    (root / 'images').mkdir(parents=True)
    (root / 'masks').mkdir()
    for i, (lesion, offset) in enumerate(zip(lesions, mask_offsets)):
        image = np.full((32, 32, 3), 60, np.uint8)
        mask = np.zeros((32, 32), np.uint8)
        if lesion is not None:
            cv2.circle(image, lesion, 6, (40, 40, 220), -1)
        if offset is not None:
            cv2.circle(mask, (lesion[0] + offset, lesion[1]), 6, 255, -1)
        cv2.imwrite(str(root / 'images' / f'{i:03d}.png'), image)
        cv2.imwrite(str(root / 'masks' / f'{i:03d}.png'), mask)
    return root


def test_lesion_dice_iou_values():
    a = torch.zeros(4, 4, dtype=torch.long)
    b = a.clone()
    assert lesion_dice_iou(a, b) == (1.0, 1.0)  # nothing to find, nothing found
    a[:2] = 1
    assert lesion_dice_iou(a, b) == (0.0, 0.0)
    b[1:3] = 1  # overlap: one row of 4 pixels; 8 + 8 labelled
    dice, iou = lesion_dice_iou(a, b)
    assert dice == pytest.approx(0.5) and iou == pytest.approx(4 / 12)
    with pytest.raises(ValueError, match='differ in size'):
        lesion_dice_iou(a, b[:2])


def test_tool_scores_followed_and_ignored_masks(tmp_path):
    config = tmp_path / 'threshold.py'
    config.write_text(
        f"_base_ = ['{SEG_CONFIG}']\n"
        "model = dict(_delete_=True, type='RedThresholdSegmentor', data_preprocessor=dict("
        "type='SegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1], bgr_to_rgb=False))\n")
    checkpoint = tmp_path / 'threshold.pth'
    torch.save({'state_dict': {'unused': torch.zeros(1)}}, checkpoint)
    followed = write_pairs(tmp_path / 'followed', [(10, 10), (20, 16), None], [0, 0, None])
    ignored = write_pairs(tmp_path / 'ignored', [(8, 10), (8, 20), (9, 9)], [15, 15, 15])
    out = tmp_path / 'scores.json'
    scores = score_folders(str(config), str(checkpoint), [f'followed={followed}',
                                                          f'ignored={ignored}'], out=str(out))
    assert scores['followed']['images'] == 3
    assert scores['followed']['dice'] == pytest.approx(1.0)
    assert scores['followed']['found'] == 1.0
    assert scores['ignored']['dice'] < 0.05 and scores['ignored']['found'] == 0.0
    assert out.is_file() and not list(tmp_path.glob('.scores.json.*'))


def test_tool_runs_the_mmseg_unet_config(tmp_path):
    """The shipped segmentor config builds and scores a folder (random weights here)."""
    register = pytest.importorskip('alignflow.utils').register_all_modules
    register()
    model = MODELS.build(Config.fromfile(SEG_CONFIG).model)
    checkpoint = tmp_path / 'unet.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    pairs = write_pairs(tmp_path / 'pairs', [(10, 10), (20, 20)], [0, 0])
    scores = score_folders(str(SEG_CONFIG), str(checkpoint), [f'pairs={pairs}'])
    assert scores['pairs']['images'] == 2
    assert 0.0 <= scores['pairs']['dice'] <= 1.0


def test_tool_names_a_folder_without_pairs(tmp_path):
    with pytest.raises(FileNotFoundError, match='needs images/ and masks/'):
        parse_named_folders([f'gen={tmp_path}'])
    with pytest.raises(ValueError, match='NAME=FOLDER'):
        parse_named_folders([str(tmp_path)])


def test_scores_go_neither_into_a_scored_folder_nor_over_a_file_they_did_not_write(tmp_path):
    pairs = write_pairs(tmp_path / 'pairs', [(10, 10)], [0])
    with pytest.raises(ValueError, match='lies inside .*pairs'):
        score_folders(str(SEG_CONFIG), 'unused.pth', [f'p={pairs}'], out=str(pairs / 's.json'))
    mask = next((pairs / 'masks').iterdir())
    before = mask.read_bytes()
    with pytest.raises((ValueError, FileExistsError)):
        score_folders(str(SEG_CONFIG), 'unused.pth', [f'p={pairs}'], out=str(mask))
    other = tmp_path / 'notes.json'
    other.write_text('{"mine": 1}')
    with pytest.raises(FileExistsError, match='not a score file of this tool'):
        score_folders(str(SEG_CONFIG), 'unused.pth', [f'p={pairs}'], out=str(other))
    assert mask.read_bytes() == before and other.read_text() == '{"mine": 1}'


def test_tool_names_a_missing_segmentor_checkpoint(tmp_path):
    pairs = write_pairs(tmp_path / 'pairs', [(10, 10)], [0])
    with pytest.raises(FileNotFoundError, match=r'python tools/train.py .*unet_polyp_32'):
        score_folders(str(SEG_CONFIG), str(tmp_path / 'none.pth'), [f'pairs={pairs}'])


def test_per_image_lesion_metric_averages_images_not_pixels():
    from alignflow.evaluation import PerImageLesionMetric

    def sample(pred, target):
        return dict(pred_sem_seg=dict(data=pred[None]), gt_sem_seg=dict(data=target[None]))

    big, small = torch.zeros(8, 8, dtype=torch.long), torch.zeros(8, 8, dtype=torch.long)
    big[:6, :6] = 1  # 36 pixels, found
    small[0, 0] = 1  # 1 pixel, missed
    metric = PerImageLesionMetric()
    metric.process({}, [sample(big, big), sample(torch.zeros_like(small), small),
                        sample(torch.zeros_like(small), torch.zeros_like(small))])
    results = metric.evaluate(3)
    # pooled pixels would give Dice 72/73; per image it is (1 + 0 + 1) / 3
    assert results['lesion/dice_per_image'] == pytest.approx(2 / 3)
    assert results['lesion/iou_per_image'] == pytest.approx(2 / 3)
    assert results['lesion/found'] == pytest.approx(2 / 3)


def test_the_adherence_gate_refuses_a_dice_outside_zero_one():
    from alignflow.evaluation import AdherenceGate
    with pytest.raises(ValueError, match='--min-dice must be in'):
        AdherenceGate(torch.nn.Identity(), min_dice=1.5)


def test_look_matched_change_rates_each_model_against_the_real_pairs_of_its_look():
    from alignflow.evaluation import look_matched_change

    # Stage 1 at 110% of real source pairs; aligned at 110% of real target pairs: no loss,
    # though its raw Dice is 30% lower (the segmentor's rating of the target's look).
    assert look_matched_change(0.55, 0.5, 0.385, 0.35) == pytest.approx(0.0)
    assert look_matched_change(0.55, 0.5, 0.35, 0.35) == pytest.approx(1 / 1.1 - 1)
    with pytest.raises(ValueError, match='real_target=0.0 must be > 0'):
        look_matched_change(0.55, 0.5, 0.3, 0.0)


def test_the_tool_says_a_missing_folder_in_one_message(tmp_path):
    import subprocess
    import sys
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, 'tools/analysis/mask_adherence.py',
         'configs/segmentation/unet_polyp_32.py', str(tmp_path / 'seg.pth'),
         f'stage1={tmp_path / "absent"}'], cwd=repo, capture_output=True, text=True)
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert result.stderr.startswith('mask_adherence: ') or '\nmask_adherence: ' in result.stderr
