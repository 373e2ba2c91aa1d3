"""Guard the folders that tools write image-mask pairs into.

A user's dataset is often their only copy. A tool that writes pairs first *claims* its output
folder: it refuses a folder that a run reads as data (a ``data_root``, a metric's real images,
the reference folder), and a folder holding anything AlignFlow did not write there itself,
unless told to ``overwrite``. What it writes is recorded in a marker file, so writing again for
the same run resumes, while another run (another config or checkpoint) would mix two
syntheses in one folder and is refused too.
"""
import errno
import fcntl
import json
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Union

from .atomic_io import write_text_atomic

MARKER_NAME = '.alignflow_output.json'
LOCK_NAME = '.alignflow_output.lock'
PAIR_FOLDERS = ('images', 'masks')
PathLike = Union[str, Path]


def data_folders_of(cfg) -> List[Path]:
    """The folders a config reads as data: every existing ``data_root``, ``real`` and
    ``folder`` value anywhere in it, and the folders of the image files it lists there."""
    found: List[Path] = []

    def visit(node, key: Optional[str] = None) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                visit(v, k)
        elif isinstance(node, (list, tuple)):
            if key in ('real', 'reference_images'):
                found.extend(Path(p).parent for p in node if isinstance(p, (str, Path)))
            for v in node:
                visit(v)
        elif key in ('data_root', 'real', 'folder') and isinstance(node, (str, Path)):
            if Path(node).is_dir():
                found.append(Path(node))

    visit(cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg)
    return found


def _overlap(a: Path, b: Path) -> bool:
    """Whether one of two folders is, or lies inside, the other."""
    return a == b or a in b.parents or b in a.parents


def _contents(folder: Path) -> List[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in (MARKER_NAME, LOCK_NAME))


def refuse_read_folders(folder: PathLike, writer: str, read_folders: Iterable[PathLike]) -> Path:
    """``folder`` resolved, once it is none of ``read_folders``, lies in none and holds none.

    Raises:
        ValueError: the folder is read as data by this run.
    """
    folder = Path(folder).expanduser().resolve()
    for read in read_folders:
        read = Path(read).expanduser().resolve()
        if _overlap(folder, read):
            raise ValueError(f'{writer}: {folder} is (or holds, or lies in) {read}, which this '
                             f'run reads as data; write the pairs to a folder of their own')
    return folder


@contextmanager
def output_folder_lock(folder: PathLike, writer: str,
                       read_folders: Iterable[PathLike] = ()) -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` (created when missing) while writing into it.

    Two runs started together into one folder would each pass :func:`claim_output_folder`
    before either wrote its marker, and mix their pairs. The lock (``fcntl.flock`` on
    ``.alignflow_output.lock``) is released when the block ends or the process dies, so a
    killed run resumes. A folder the run reads is refused before anything is created.

    Raises:
        ValueError: the folder is read as data by this run.
        FileExistsError: another process holds the lock.
    """
    folder = refuse_read_folders(folder, writer, read_folders)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, 'a') as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise FileExistsError(f'{writer}: another process is writing into {folder} right '
                                  'now; wait for it to finish, or write to another folder')
        try:
            yield folder
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def claim_output_folder(folder: PathLike, writer: str, run: dict,
                        read_folders: Iterable[PathLike] = (),
                        overwrite: bool = False) -> Path:
    """Make ``folder`` the output of this run, or refuse with an error that says why.

    Args:
        folder: where ``images/`` and ``masks/`` will be written (created when missing).
        writer: what writes there, for messages and the marker, e.g. ``'tools/test.py --out'``.
        run: what identifies the run (config, checkpoint, ...): the same run may write into
            its folder again (a rerun or a resumed run), another may not without ``overwrite``.
        read_folders: folders the run reads as data; the output may neither be one of them,
            lie inside one, nor hold one, even with ``overwrite``.
        overwrite: write into a folder that holds files AlignFlow did not write, or pairs of
            another run; a folder AlignFlow wrote has its old ``images/`` and ``masks/``
            removed first, so the two runs never mix.

    Returns:
        The folder, resolved.

    Raises:
        ValueError: the folder is read as data by this run.
        FileExistsError: the folder holds other files or another run's pairs (no overwrite).
    """
    folder = refuse_read_folders(folder, writer, read_folders)
    marker = folder / MARKER_NAME
    if folder.is_dir() and _contents(folder):
        if not marker.is_file():
            if not overwrite:
                raise FileExistsError(
                    f'{writer}: {folder} already holds files that AlignFlow did not write '
                    f'({", ".join(_contents(folder)[:5])}); choose a new or empty folder, or '
                    f'pass --overwrite to write into it anyway')
        else:
            recorded = json.loads(marker.read_text())
            if recorded.get('run') != run:
                if not overwrite:
                    raise FileExistsError(
                        f'{writer}: {folder} holds pairs written by {recorded.get("writer")} '
                        f'for another run ({recorded.get("run")}); choose another folder, or '
                        f'pass --overwrite to replace them')
                for name in PAIR_FOLDERS:
                    shutil.rmtree(folder / name, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    record = dict(writer=writer, run=run, time=time.strftime('%Y-%m-%d %H:%M:%S'))
    write_text_atomic(json.dumps(record, indent=1, default=str) + '\n', marker)
    return folder
