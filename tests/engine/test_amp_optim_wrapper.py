import torch
from torch import nn

from alignflow.engine import AutoAmpOptimWrapper
from alignflow.engine.optimizers import amp_optim_wrapper
from alignflow.registry import OPTIM_WRAPPERS


def test_cpu_amp_autocasts_to_bfloat16_and_steps():
    torch.manual_seed(0)
    model = nn.Linear(8, 4)
    wrapper = OPTIM_WRAPPERS.build(dict(
        type='AutoAmpOptimWrapper', optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    assert isinstance(wrapper, AutoAmpOptimWrapper)
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(torch.randn(2, 8))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().pow(2).mean())
    assert not torch.equal(before, model.weight)
    state = wrapper.state_dict()
    wrapper.load_state_dict(state)


def test_cpu_amp_refuses_float16():
    model = nn.Linear(2, 2)
    try:
        AutoAmpOptimWrapper(dtype='float16', optimizer=torch.optim.SGD(model.parameters(), lr=1))
    except ValueError as err:
        assert 'bfloat16' in str(err)
    else:
        raise AssertionError('float16 on CPU must be refused')


def test_cpu_amp_warns_where_bfloat16_would_be_emulated(monkeypatch):
    model = nn.Linear(2, 2)
    for native in (True, False):
        logged = []
        monkeypatch.setattr(amp_optim_wrapper, 'cpu_has_native_bfloat16', lambda: native)
        monkeypatch.setattr(amp_optim_wrapper, 'print_log',
                            lambda message, **kwargs: logged.append(message))
        AutoAmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=1))
        assert any('no native bfloat16 instructions' in m for m in logged) is not native
    assert isinstance(amp_optim_wrapper.cpu_has_native_bfloat16(), bool)
