"""--cfg-options refuse keys the config does not have, and take a new key only with '+'."""
import pytest
from mmengine.config import Config

from alignflow.apis.runner import load_config
from alignflow.utils.config_options import merge_options, unknown_option

CONFIG = 'configs/stage1/stage1_toy_32px.py'


@pytest.fixture
def cfg(tmp_path):
    path = tmp_path / 'my_config.py'
    path.write_text("model = dict(type='M', solver=dict(num_steps=4))\n"
                    "custom_hooks = [dict(type='H', interval=2)]\nsynthetic_mix = None\n")
    return Config.fromfile(str(path))


def test_existing_keys_and_list_items_merge(cfg):
    merge_options(cfg, {'model.solver.num_steps': 8, 'custom_hooks.0.interval': 5})
    assert cfg.model.solver.num_steps == 8 and cfg.custom_hooks[0].interval == 5


@pytest.mark.parametrize('key, message', [
    ('synthetic_mx.data_root', "the config has no key 'synthetic_mx'; did you mean synthetic_mix"),
    ('model.solver.num_stpes', "model.solver has no key 'num_stpes'; did you mean "
                               "model.solver.num_steps"),
    ('custom_hooks.3.interval', "custom_hooks has no key '3'"),
    ('synthetic_mix.data_root', "synthetic_mix is None, which has no key 'data_root'"),
])
def test_a_key_the_config_does_not_have_is_refused_with_the_nearest(cfg, key, message):
    assert message in unknown_option(cfg, key)
    with pytest.raises(KeyError, match=f'--cfg-options {key}: .*write \\+{key}=.*my_config'):
        merge_options(cfg, {key: 1})
    assert 'synthetic_mx' not in cfg and cfg.model.solver.num_steps == 4  # nothing merged


def test_an_argument_of_the_class_a_dict_builds_is_known(tmp_path):
    path = tmp_path / 'hooks.py'
    path.write_text("custom_hooks = [dict(type='AlignmentMonitorHook', min_iters=25)]\n")
    cfg = Config.fromfile(str(path))
    merge_options(cfg, {'custom_hooks.0.window': 200})  # AlignmentMonitorHook(window=...)
    assert cfg.custom_hooks[0].window == 200
    with pytest.raises(KeyError, match="custom_hooks.0 has no key 'windw'; did you mean "
                                       "custom_hooks.0.window"):
        merge_options(cfg, {'custom_hooks.0.windw': 200})


def test_a_new_key_on_purpose_takes_a_plus(cfg):
    merge_options(cfg, {'+model.extra': 3, '+extra_block': dict(data_root='x')})
    assert cfg.model.extra == 3 and cfg.extra_block.data_root == 'x'


def test_load_config_refuses_unknown_options_and_a_missing_file(tmp_path):
    with pytest.raises(KeyError, match='train_cfg has no key .max_iter.; did you mean '
                                       'train_cfg.max_iters'):
        load_config(CONFIG, cfg_options={'train_cfg.max_iter': 5})
    assert load_config(CONFIG, cfg_options={'train_cfg.max_iters': 5}).train_cfg.max_iters == 5
    with pytest.raises(FileNotFoundError, match='config .*nope.py does not exist'):
        load_config(str(tmp_path / 'nope.py'))
