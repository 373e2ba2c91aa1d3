"""Expected user errors: one message naming the key or file and what to do, the traceback in
the log (or on screen with --debug); a typo in a loop or LoRA argument names the nearest."""
from pathlib import Path

import pytest
import torch

from alignflow.utils.cli import user_errors, user_message
from alignflow.utils.config_options import explain_unexpected_argument


def raised(call):
    with pytest.raises(TypeError) as err:
        call()
    return err.value


def test_a_loop_argument_typo_names_the_nearest():
    from mmengine.runner import IterBasedTrainLoop
    error = raised(lambda: IterBasedTrainLoop(runner=None, dataloader=None, max_iter=2))
    message = explain_unexpected_argument(error)
    assert "'max_iter'" in message and 'did you mean max_iters' in message
    assert 'IterBasedTrainLoop takes' in message and 'val_interval' in message


def test_a_loop_built_through_the_registry_is_named_too():
    from mmengine.registry import LOOPS
    error = raised(lambda: LOOPS.build(dict(type='IterBasedTrainLoop', runner=None,
                                            dataloader=None, max_iter=2)))
    assert 'did you mean max_iters' in explain_unexpected_argument(error)


def test_a_lora_argument_typo_names_the_nearest():
    from alignflow.models.adapters.lora import inject_lora
    lora = dict(rnk=4, targets=[r'\.proj$'])
    error = raised(lambda: inject_lora(torch.nn.Linear(2, 2), **lora))
    message = explain_unexpected_argument(error)
    assert "inject_lora an argument 'rnk'" in message and 'did you mean rank' in message


def test_other_type_errors_stay_bugs():
    assert explain_unexpected_argument(raised(lambda: len(3))) is None
    assert user_message(raised(lambda: len(3))) is None


def test_user_errors_print_one_message_and_log_the_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv('ALIGNFLOW_CACHE', str(tmp_path))
    with pytest.raises(SystemExit) as exit_:
        with user_errors('tools/x.py'):
            raise KeyError('--cfg-options a.b: the config has no key')
    message = str(exit_.value.code)
    assert message.startswith("tools/x.py: --cfg-options a.b: the config has no key (")
    assert 'Traceback' not in message and '--debug' in message
    log = message.split('the traceback is in ')[1].split(';')[0]  # the run's log, else ours
    assert 'KeyError: ' in Path(log).read_text()
    with pytest.raises(KeyError):
        with user_errors('tools/x.py', debug=True):
            raise KeyError('shown with its traceback')
    with pytest.raises(ZeroDivisionError):  # a bug keeps its traceback
        with user_errors('tools/x.py'):
            1 / 0


def test_an_unwritable_folder_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv('ALIGNFLOW_CACHE', str(tmp_path))
    with pytest.raises(SystemExit) as exit_:
        with user_errors('tools/synthesize.py'):
            raise PermissionError(13, 'Permission denied', '/data/out/images')
    message = str(exit_.value.code)
    assert message.startswith('tools/synthesize.py: permission denied for /data/out/images')
    assert 'choose a folder you can write to' in message


def test_a_message_that_names_its_tool_is_not_prefixed_twice(tmp_path, monkeypatch):
    monkeypatch.setenv('ALIGNFLOW_CACHE', str(tmp_path))
    with pytest.raises(SystemExit) as exit_:
        with user_errors('tools/synthesize.py'):
            raise FileExistsError('tools/synthesize.py: another process is writing into x')
    assert str(exit_.value.code).startswith('tools/synthesize.py: another process')


def test_a_lora_typo_inside_a_model_built_from_the_registry_names_inject_lora():
    """The argument belongs to inject_lora, called inside the model the registry builds."""
    from mmengine.registry import Registry
    from alignflow.models.adapters.lora import inject_lora
    models = Registry('test models', scope='test_cli')

    @models.register_module()
    class Adapted(torch.nn.Module):
        def __init__(self, lora):
            super().__init__()
            self.net = torch.nn.Linear(2, 2)
            inject_lora(self.net, **lora)

    error = raised(lambda: models.build(dict(type='Adapted', lora=dict(rnk=4, targets=[]))))
    message = explain_unexpected_argument(error)
    assert "inject_lora an argument 'rnk'" in message and 'did you mean rank' in message
