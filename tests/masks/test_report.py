import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def write_masks(folder: Path, boxes):
    (folder / 'masks').mkdir(parents=True)
    for i, (top, left, side) in enumerate(boxes):
        mask = np.zeros((32, 32), np.uint8)
        mask[top:top + side, left:left + side] = 255
        cv2.imwrite(str(folder / 'masks' / f'{i}.png'), mask)


def test_report_on_known_masks(tmp_path):
    training, generated = tmp_path / 'train', tmp_path / 'syn'
    write_masks(training, [(0, 0, 16), (16, 16, 16)])
    write_masks(generated, [(0, 0, 16), (8, 8, 8), (20, 0, 4)])  # a copy and two new ones
    (generated / 'manifest.jsonl').write_text(
        ''.join(json.dumps(dict(index=i, mask_attempts=a, adherence_dropped=d)) + '\n'
                for i, (a, d) in enumerate([(1, 0), (2, 1), (1, 0)])))
    result = subprocess.run([sys.executable, 'tools/analysis/mask_report.py', str(generated),
                             str(training), '--out', str(tmp_path / 'report'), '--size', '32'],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((tmp_path / 'report' / 'report.json').read_text())
    gen, train = report['generated'], report['training']
    assert gen['count'] == 3 and train['count'] == 2
    assert np.isclose(train['fg_fraction'], 0.25) and train['components'] == 1
    assert np.isclose(gen['copies'], 1 / 3) and np.isclose(gen['rejected'], 1 / 4)
    assert np.isclose(gen['adherence_dropped'], 1 / 4)
    assert np.isclose(train['diversity'], 1.0)  # disjoint squares
    assert (tmp_path / 'report' / 'report.png').stat().st_size > 1000
    assert '| copies |' in result.stdout
    refused = subprocess.run([sys.executable, 'tools/analysis/mask_report.py', str(generated),
                              str(training), '--out', str(training / 'report')], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and 'only reads' in refused.stderr


def test_masks_the_datasets_refuse_are_refused(tmp_path):
    """A {0, 100} training set was reported with a foreground fraction of 0."""
    from alignflow.masks.report import read_masks
    write_masks(tmp_path / 'syn', [(0, 0, 16)])
    faint = tmp_path / 'train' / 'masks'
    faint.mkdir(parents=True)
    mask = np.zeros((32, 32), np.uint8)
    mask[:16, :16] = 100
    cv2.imwrite(str(faint / 'a.png'), mask)
    with pytest.raises(ValueError) as err:
        read_masks(str(tmp_path / 'train'), 'training')
    assert str(faint / 'a.png') in str(err.value) and '[0, 100]' in str(err.value)
    assert 'm == 100' in str(err.value)
    assert read_masks(str(tmp_path / 'syn'), 'generated')[0].max() == 1


def test_the_tool_refuses_them_in_one_message(tmp_path):
    write_masks(tmp_path / 'syn', [(0, 0, 16)])
    (tmp_path / 'train' / 'masks').mkdir(parents=True)
    red = np.zeros((32, 32, 3), np.uint8)
    red[:16, :16] = (0, 0, 255)
    cv2.imwrite(str(tmp_path / 'train' / 'masks' / 'a.png'), red)
    result = subprocess.run([sys.executable, 'tools/analysis/mask_report.py',
                             str(tmp_path / 'syn'), str(tmp_path / 'train'), '--out',
                             str(tmp_path / 'report')], cwd=REPO, capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, ALIGNFLOW_CACHE=str(tmp_path)))
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert result.stderr.startswith('mask_report: 1 of 1 training masks')
    assert 'channels differ' in result.stderr and not (tmp_path / 'report').exists()
