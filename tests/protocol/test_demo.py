"""``tools/demo.py --quick`` end to end through :func:`alignflow.protocol.demo.run_demo`: the
toy folders, every step of the protocol with progress, the report; a re-run makes nothing."""
from pathlib import Path

import cv2
import numpy as np

from alignflow.protocol import Protocol
from alignflow.protocol.demo import demo_protocol, run_demo
from alignflow.protocol.report import SUMMARY_COLUMNS
from alignflow.protocol.report_page import figures_of

REPO = Path(__file__).resolve().parents[2]
QUICK = str(REPO / 'configs/benchmark/demo_quick.py')


def markdown_table(text: str, first_column: str):
    """The rows of the Markdown table whose header starts with ``first_column``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f'| {first_column} |'))
    rows = []
    for line in lines[start:]:
        if not line.startswith('|'):
            break
        rows.append([cell.strip() for cell in line.strip('|').split('|')])
    return rows[0], rows[2:]


def parse_cell(cell: str):
    """'72.00 ± 2.83' -> (72.0, 2.83); '51.5' -> (51.5, None); '–' -> None."""
    if cell == '–':
        return None
    mean, _, std = cell.partition(' ± ')
    return float(mean), (float(std) if std else None)


def test_quick_demo_end_to_end_then_nothing_recomputed(quick_demo):
    work_dir, lines, report = quick_demo

    assert (report / 'report.html').is_file() and (report / 'report.md').is_file()
    training = [line for line in lines if 'stage 2' in line and ' iter ' in line]
    assert training and all('it/s' in line and 'ETA' in line and 'whole run ETA' in line
                            for line in training)
    assert any(line.startswith('[protocol] 17 steps made') for line in lines)

    header, rows = markdown_table((report / 'report.md').read_text(), 'target')
    assert header == list(SUMMARY_COLUMNS)
    assert [row[2] for row in rows] == ['real', 'stage1', 'aligned', 'aligned_generated_masks']
    for row in rows:
        assert row[3] == '2'  # two seeds
        mdice, spread = parse_cell(row[header.index('mDice')])
        assert 0 <= mdice <= 100 and spread is not None
        assert parse_cell(row[header.index('lesion Dice (per image)')]) is not None
        c2st = parse_cell(row[header.index('which domain: called target (%)')])
        assert (c2st is None) == (row[2] == 'real')

    page = (report / 'report.html').read_text()
    assert 'http://' not in page and 'https://' not in page  # nothing fetched
    figures = figures_of(page)
    assert page.count('<img ') == len(figures) >= 10
    for caption, png in figures.items():
        assert png[:8] == b'\x89PNG\r\n\x1a\n', caption
        image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and min(image.shape[:2]) > 0, caption
    assert any('same masks and the same noise' in c for c in figures)
    assert any(c.startswith('The alignment run') for c in figures)
    assert any('validation curves' in c for c in figures)

    protocol, _ = demo_protocol(QUICK, str(work_dir))
    steps = Protocol(protocol, str(work_dir), log=lambda line: None)
    planned = [key for wave in steps.waves() for key in wave]
    assert len(planned) == 17 and all(steps.is_made(key) for key in planned)
    made = {p: p.stat().st_mtime_ns for p in work_dir.rglob('artefact.json')}
    checkpoints = {p: p.stat().st_mtime_ns for p in work_dir.rglob('*.pth')}
    again = []
    run_demo(QUICK, str(work_dir), log=again.append)
    assert any('0 steps to make' in line for line in again)
    assert not any(' started' in line for line in again)
    assert {p: p.stat().st_mtime_ns for p in work_dir.rglob('artefact.json')} == made
    assert {p: p.stat().st_mtime_ns for p in work_dir.rglob('*.pth')} == checkpoints


def test_the_full_demo_is_an_ordinary_protocol(tmp_path):
    """configs/benchmark/demo.py, pointed at the toy folders it writes, passes the protocol's
    checks and plans stage 1, the mask generator, one stage-2 draw, three synthetic sets and
    their distances, and four arms of two seeds (nothing trained here)."""
    protocol, work_dir = demo_protocol(str(REPO / 'configs/benchmark/demo.py'),
                                       str(tmp_path / 'demo'))
    assert Path(protocol.source.data_root).parent == tmp_path / 'demo' / 'data'
    assert len(list(Path(protocol.targets[0].folder, 'images').glob('*.png'))) == 96
    steps = Protocol(protocol, work_dir, log=lambda line: None)
    kinds = [key[0] for wave in steps.waves() for key in wave]
    assert {k: kinds.count(k) for k in set(kinds)} == dict(
        stage1=1, mask_generator=1, align=1, synthetic=3, distances=3, segment=8)
    assert steps.step_units(('align', 'toy_target', 0)) == protocol._align_iters
