"""The report page in a real browser: headless Chromium renders it, says whether every image
decoded and whether anything overflows the page width, and takes a screenshot that must not be
blank.

Chromium runs twice per width: ``--dump-dom`` on a copy of the page with a small script that
writes what it measured into the DOM (Chromium's command line gives no other way out without a
driver such as Selenium or Playwright, neither of which is installed), then ``--screenshot``.
"""
import json
import shutil
import subprocess
from pathlib import Path
from typing import List, Optional, Sequence

import cv2
import numpy as np

PROBE = """<script>
window.addEventListener('load', () => {
  const view = document.documentElement.clientWidth;
  const images = Array.from(document.images);
  const report = {
    images: images.length,
    broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
    outside: images.filter(i => i.getBoundingClientRect().right > view + 1).map(i => i.alt),
    view: view,
    scroll: document.documentElement.scrollWidth,
  };
  document.body.setAttribute('data-check', JSON.stringify(report));
});
</script>"""
CHROMIUM_NAMES = ('chromium', 'chromium-browser', 'google-chrome', 'chrome')


def find_chromium() -> Optional[str]:
    """The Chromium on the PATH (Debian: ``apt-get install chromium``), None without one."""
    return next((shutil.which(name) for name in CHROMIUM_NAMES if shutil.which(name)), None)


def _chromium(binary: str, width: int, *args: str, height: int = 1000,
              timeout: float = 120) -> str:
    # --no-sandbox: Chromium refuses to start as root otherwise (containers, CI).
    command = [binary, '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
               f'--window-size={width},{height}', '--virtual-time-budget=10000', *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f'{" ".join(command)} failed ({done.returncode}): '
                           f'{done.stderr[-2000:]}')
    return done.stdout


def blank(screenshot: Path) -> bool:
    """Whether a screenshot shows (almost) nothing: one colour over 99.5% of it."""
    image = cv2.imread(str(screenshot), cv2.IMREAD_GRAYSCALE)
    if image is None:
        return True
    values, counts = np.unique(image, return_counts=True)
    return counts.max() > 0.995 * image.size


def check_page(page: str, out_dir: str, widths: Sequence[int] = (1280, 600),
               chromium: Optional[str] = None) -> List[str]:
    """Render ``page`` headless at each width; returns the problems found (empty: none).

    A problem is an ``<img>`` that did not decode (``naturalWidth`` 0), one that reaches past
    the viewport, a page wider than the viewport (it would scroll sideways), or a blank
    screenshot. Screenshots and the measures are written to ``out_dir``
    (``screenshot_<width>.png``, ``check_<width>.json``).
    """
    binary = chromium or find_chromium()
    if binary is None:
        raise FileNotFoundError('no Chromium on the PATH: apt-get install chromium')
    page, out = Path(page).resolve(), Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    probed = out / 'probed.html'
    probed.write_text(page.read_text().replace('</body>', PROBE + '</body>'))
    problems = []
    for width in widths:
        dom = _chromium(binary, width, '--dump-dom', probed.as_uri())
        start = dom.find("data-check='")
        quote = "'"
        if start < 0:
            start, quote = dom.find('data-check="'), '"'
        if start < 0:
            problems.append(f'{width} px: the page\'s load event never ran (no data-check)')
            continue
        start += len('data-check=') + 1
        text = dom[start:dom.index(quote, start)].replace('&quot;', '"').replace('&amp;', '&')
        report = json.loads(text)
        (out / f'check_{width}.json').write_text(json.dumps(report, indent=1))
        problems += [f'{width} px: image did not decode: {alt}' for alt in report['broken']]
        problems += [f'{width} px: image past the page width: {alt}' for alt in report['outside']]
        if report['scroll'] > report['view']:
            problems.append(f'{width} px: the page is {report["scroll"]} px wide in a '
                            f'{report["view"]} px window')
        if report['images'] == 0:
            problems.append(f'{width} px: the page has no image')
        shot = out / f'screenshot_{width}.png'
        _chromium(binary, width, f'--screenshot={shot}', page.as_uri(), height=2400)
        if blank(shot):
            problems.append(f'{width} px: the screenshot {shot} is blank')
    return problems
