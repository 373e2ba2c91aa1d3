"""Where a moved config went: ``configs/RENAMED.json`` maps each old path (relative to the
repository root) to its new one, so that a command naming an old path is told the new one
instead of only that the file is missing."""
import json
import os.path as osp
from pathlib import Path
from typing import Optional

RENAMED = Path(__file__).resolve().parents[2] / 'configs' / 'RENAMED.json'


def renamed_to(path: Optional[str], record: Path = RENAMED) -> Optional[str]:
    """The new path of the config ``path`` when ``record`` lists it as renamed, with the
    prefix ``path`` had (``./``, an absolute checkout, ``../../../``); else None."""
    if not path or not record.is_file():
        return None
    normal = osp.normpath(path).replace(osp.sep, '/')
    for old, new in json.loads(record.read_text(encoding='utf-8')).items():
        if normal == old or normal.endswith('/' + old):
            return normal[:len(normal) - len(old)] + new
    return None
