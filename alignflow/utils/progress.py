"""A progress bar that stays readable in a log: redrawn in a terminal, a line per update
elsewhere."""
import sys
import time
from typing import Optional, TextIO, Union

from mmengine.utils import ProgressBar


class LineProgress:
    """Writes ``done/total what, rate/s, elapsed s`` on a line of its own at each update, for
    output that is not a terminal (a log file, a pipe, a CI job): no carriage returns."""

    def __init__(self, total: int, what: str = 'images', file: Optional[TextIO] = None):
        self.total, self.what, self.done = total, what, 0
        self.file = file if file is not None else sys.stdout
        self.start = time.monotonic()

    def update(self, num_tasks: int = 1) -> None:
        self.done += num_tasks
        elapsed = time.monotonic() - self.start
        rate = self.done / elapsed if elapsed > 0 else float('inf')
        self.file.write(f'{self.done}/{self.total} {self.what}, {rate:.1f}/s, '
                        f'elapsed {elapsed:.0f}s\n')
        self.file.flush()

    def close(self) -> None:
        """Nothing to end: every update already ended its line."""


class TerminalProgress(ProgressBar):
    """mmengine's bar, redrawn in place, with :meth:`close` ending its line."""

    def close(self) -> None:
        self.file.write('\n')
        self.file.flush()


def progress_bar(total: int, what: str = 'images',
                 file: Optional[TextIO] = None) -> Union[TerminalProgress, LineProgress]:
    """A :class:`TerminalProgress` when ``file`` (default stdout) is a terminal, else a
    :class:`LineProgress`. Both take ``update(num_tasks)`` and ``close()``."""
    file = file if file is not None else sys.stdout
    if file.isatty():
        return TerminalProgress(total, file=file)
    return LineProgress(total, what, file)
