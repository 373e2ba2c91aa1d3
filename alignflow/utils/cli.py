"""What a tool prints for a mistake its user can make: one message that names the file, key
or value and what to do, without a traceback (``--debug`` shows it; the log keeps it).

    def main(argv=None):
        args = parser.parse_args(argv)          # with add_debug_argument(parser)
        with user_errors('tools/test.py', args.debug):
            ...
"""
import logging
import os
import time
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from .config_options import explain_unexpected_argument

USER_ERRORS = (ValueError, KeyError, FileNotFoundError, FileExistsError, NotADirectoryError,
               IsADirectoryError)


def add_debug_argument(parser) -> None:
    """``--debug``: show the traceback of an error a user can fix (else one message)."""
    parser.add_argument('--debug', action='store_true',
                        help='show the traceback of an error (it is always written to the log)')


def user_message(error: BaseException) -> Optional[str]:
    """The message of an error a user can fix (a missing or unwritable file, a wrong key or
    value); None for anything else (a bug, whose traceback is shown)."""
    if isinstance(error, PermissionError):
        where = error.filename or 'a file'
        return (f'permission denied for {where} ({error.strerror or error}); choose a folder '
                f'you can write to, or change its permissions')
    if isinstance(error, TypeError):
        return explain_unexpected_argument(error)
    if isinstance(error, KeyError) and len(error.args) == 1 and isinstance(error.args[0], str):
        return error.args[0]  # str(KeyError) would quote it
    if isinstance(error, USER_ERRORS):
        return str(error)
    return None


def _log_traceback(tool: str, error: BaseException) -> Path:
    """Append the traceback to the run's log file (mmengine's, when the run has one), else to
    ``$ALIGNFLOW_CACHE/logs/<tool>.log``; returns the file."""
    from mmengine.logging import MMLogger
    text = ''.join(traceback.format_exception(error))
    files = [handler.baseFilename for handler in MMLogger.get_current_instance().handlers
             if isinstance(handler, logging.FileHandler)] if MMLogger._instance_dict else []
    if files:
        path = Path(files[0])
    else:
        root = os.environ.get('ALIGNFLOW_CACHE') or Path.home() / '.cache' / 'alignflow'
        path = Path(root).expanduser() / 'logs' / f'{Path(tool).stem}.log'
        path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'a') as log:
        log.write(f'{time.strftime("%Y-%m-%d %H:%M:%S")} {tool}\n{text}\n')
    return path


@contextmanager
def user_errors(tool: str, debug: bool = False) -> Iterator[None]:
    """Turn an error a user can fix (:func:`user_message`) into ``SystemExit`` with
    ``'<tool>: <message>'`` (exit status 1) and the traceback in the log; with ``debug``, or
    for any other error, the error propagates with its traceback."""
    try:
        yield
    except Exception as error:
        message = user_message(error)
        if message is None or debug:
            raise
        try:
            where = f'the traceback is in {_log_traceback(tool, error)}'
        except OSError:  # an unwritable log must not hide the message
            where = 'no log could be written'
        named = message if message.startswith(tool) else f'{tool}: {message}'
        raise SystemExit(f'{named} ({where}; --debug shows it here)') from None
