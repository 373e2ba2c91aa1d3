"""folder_written_atomically: all of the folder or none of it, with ordinary permissions."""
import os
import stat

import pytest

from alignflow.utils.atomic_io import folder_written_atomically


def test_a_folder_appears_whole_and_readable(tmp_path):
    out = tmp_path / 'sets' / 'both_train'
    with folder_written_atomically(out) as tmp:
        (tmp / 'a.txt').write_text('a')
        assert not out.exists()
    assert (out / 'a.txt').read_text() == 'a'
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask
    assert os.listdir(out.parent) == ['both_train']


def test_a_failed_block_leaves_nothing(tmp_path):
    out = tmp_path / 'both_train'
    with pytest.raises(RuntimeError):
        with folder_written_atomically(out) as tmp:
            (tmp / 'a.txt').write_text('a')
            raise RuntimeError('cut')
    assert os.listdir(tmp_path) == []


def test_a_copy_renamed_first_by_another_writer_wins(tmp_path):
    out = tmp_path / 'both_train'
    with folder_written_atomically(out) as tmp:
        (tmp / 'mine.txt').write_text('late')
        out.mkdir()
        (out / 'theirs.txt').write_text('first')
    assert os.listdir(out) == ['theirs.txt'] and len(os.listdir(tmp_path)) == 1
