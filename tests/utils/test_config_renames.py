"""A config path from before a rename is answered with its new path."""
import os.path as osp

import pytest
from mmengine.config import Config

from alignflow.apis import load_config
from alignflow.protocol.spec import check_protocol
from alignflow.utils.config_renames import renamed_to

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
OLD, NEW = 'configs/alignflow/clinicdb_5shot.py', 'configs/stage2/stage2_clinicdb_5shot_64px.py'


def test_an_old_path_gets_its_new_one_with_the_same_prefix():
    assert renamed_to(OLD) == NEW
    assert renamed_to(f'./{OLD}') == NEW
    assert renamed_to(osp.join(REPO, OLD)) == osp.join(REPO, NEW)
    assert renamed_to('../../../configs/alignflow/toy_5shot_lora.py') == \
        '../../../projects/alignment_studies/configs/stage2_toy_5shot_32px_lora.py'
    assert renamed_to('configs/alignflow/no_such.py') is None and renamed_to(None) is None


def test_load_config_says_where_a_renamed_config_went(monkeypatch):
    monkeypatch.chdir(REPO)
    with pytest.raises(FileNotFoundError, match=f'{OLD} was renamed to {NEW}'):
        load_config(OLD)


def test_the_protocol_says_where_a_renamed_config_went(monkeypatch, tmp_path):
    monkeypatch.chdir(REPO)
    protocol = Config.fromfile(osp.join(REPO, 'configs/benchmark/toy.py'))
    protocol.source.data_root = str(tmp_path)
    protocol.stage1.config = 'configs/alignflow/toy_stage1.py'
    with pytest.raises(FileNotFoundError, match=r"protocol stage1: config "
                       r"'configs/alignflow/toy_stage1.py' does not exist; it was renamed to "
                       r'configs/stage1/stage1_toy_32px.py'):
        check_protocol(protocol)
