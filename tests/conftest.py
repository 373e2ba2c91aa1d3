"""Shared test setup: AlignFlow is imported first (it makes mmcv-lite's ``mmcv.ops`` importable
for mmseg), and every module is registered under the ``alignflow`` scope."""
import os
from pathlib import Path

import pytest

import alignflow  # noqa: F401
from alignflow.utils import register_all_modules

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / 'shared' / 'data'

register_all_modules(init_default_scope=True)


@pytest.fixture(autouse=True)
def _toy_cache(tmp_path_factory, monkeypatch):
    """Keep toy-dataset caches of tests out of the user's home."""
    cache = tmp_path_factory.getbasetemp() / 'toy_cache'
    monkeypatch.setenv('ALIGNFLOW_CACHE', os.fspath(cache))
    yield
