"""build_runner: the config is resolved once, in full, before the runner is built."""
from types import SimpleNamespace

from mmengine.config import Config

from alignflow.apis import runner


def test_build_runner_resolves_the_config_once_before_the_runner(monkeypatch):
    events = []
    monkeypatch.setattr(runner, 'resolve_config', lambda cfg: events.append(('resolve', cfg)))
    monkeypatch.setattr(runner, 'Runner', SimpleNamespace(
        from_cfg=lambda cfg: events.append(('runner', cfg)) or 'built'))
    cfg = Config(dict(launcher='none'))
    assert runner.build_runner(cfg) == 'built'
    assert events == [('resolve', cfg), ('runner', cfg)]
