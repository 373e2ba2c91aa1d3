"""The report of a finished toy protocol work dir (what ``tools/analysis/report.py WORK_DIR``
writes; the work dir of ``tools/demo.py --quick``), and the page in headless Chromium."""
import csv
import shutil

import cv2
import numpy as np
import pytest

from alignflow.protocol.page_check import check_page, find_chromium
from alignflow.protocol.report_page import figures_of, write_report


def test_the_report_of_a_protocol_work_dir(quick_demo, tmp_path):
    work_dir, _, _ = quick_demo
    moved = tmp_path / 'moved'
    shutil.copytree(work_dir, moved)  # the page needs nothing but the work dir and the data
    (moved / 'report').rename(moved / 'report_of_the_demo')
    report = write_report(str(moved), log=lambda line: None)  # the protocol from protocol.json

    markdown = (report / 'report.md').read_text()
    records = list(csv.DictReader(open(moved / 'results.csv')))
    table = (moved / 'results.md').read_text()
    assert len(records) == 8 and table.splitlines()[2] in markdown
    figures = figures_of((report / 'report.html').read_text())
    for caption, png in figures.items():
        image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and min(image.shape[:2]) > 0, caption
    captions = list(figures)
    for expected in ('Real source images', 'Real target images', 'The 5 target references',
                     'Stage-1 synthesis', 'Aligned synthesis: the same masks',
                     'Generated masks', 'The mask generator\'s last sample grid',
                     'The alignment run', 'The segmentors\' validation curves'):
        assert any(c.startswith(expected) for c in captions), expected
    assert sorted(p.name for p in (report / 'images').iterdir()) == sorted(
        f'{name}.png' for name in _names(markdown))
    assert 'python tools/benchmark.py' in markdown and 'python tools/synthesize.py' in markdown


def _names(markdown: str):
    return [line.split('(images/')[1][:-len('.png)')] for line in markdown.splitlines()
            if '](images/' in line]


@pytest.mark.skipif(find_chromium() is None,
                    reason='no Chromium on the PATH (Debian: apt-get install chromium): the '
                           'page is not rendered in a browser here')
def test_the_page_in_headless_chromium(quick_demo, tmp_path):
    """Every image decodes, nothing reaches past the page at 1280 and 600 px, and the
    screenshots are not blank; a broken image and an overflowing element are caught."""
    _, _, report = quick_demo
    page = report / 'report.html'
    assert check_page(str(page), str(tmp_path / 'good')) == []

    broken = tmp_path / 'broken.html'
    text = page.read_text()
    broken.write_text(text.replace('src="data:image/png;base64,', 'src="data:image/png;base64,'
                                   'AAAA', 1).replace('</body>', '<div style="width:3000px">'
                                                      'wide</div></body>'))
    problems = check_page(str(broken), str(tmp_path / 'bad'), widths=(800,))
    assert any('did not decode' in p for p in problems)
    assert any('px wide in a 800 px window' in p for p in problems)
