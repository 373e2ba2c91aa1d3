"""The runnable examples in the docstrings of the main entry points."""
import doctest
import importlib

import pytest

MODULES = [
    'alignflow.flow.paths',
    'alignflow.flow.solvers',
    'alignflow.flow.loss',
    'alignflow.rewards.base',
    'alignflow.models.generators.few_shot_alignment',
    'alignflow.losses.adaptive_weight',
    'alignflow.models.adapters.trainable',
    'alignflow.datasets.references',
    'alignflow.masks.postprocess',
]


@pytest.mark.parametrize('name', MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0, f'{name} has no docstring example'
    assert result.failed == 0
