import math
import sys
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.utils import import_modules_from_strings

from alignflow.registry import MODELS, SOLVERS

PROJECT = Path(__file__).resolve().parents[2] / 'projects' / 'example_solver'


def test_project_solver_is_found_through_custom_imports(monkeypatch):
    monkeypatch.syspath_prepend(str(PROJECT))
    cfg = Config.fromfile(str(PROJECT / 'configs' / 'stage2_toy_5shot_32px_ralston.py'))
    import_modules_from_strings(**cfg.custom_imports)
    assert cfg.model.generator.solver.type == 'RalstonSolver'
    solver = SOLVERS.build(cfg.model.generator.solver)
    assert solver.num_steps == 8 and solver.order == 2

    # second order: dx/dt = x from 1 to e; halving the step divides the error by about 4
    x0 = torch.ones(1, 1, dtype=torch.float64)
    errors = [abs(solver.sample(lambda x, t: x, x0, num_steps=n).item() - math.e)
              for n in (8, 16, 32)]
    ratios = [errors[i] / errors[i + 1] for i in range(2)]
    assert all(3.5 < r < 4.5 for r in ratios), ratios

    # truncated backprop through the last step, as stage 2 uses it
    weight = torch.tensor(0.5, requires_grad=True)
    x1 = solver.sample(lambda x, t: weight * x, torch.ones(2, 3), grad_last_k=1, checkpoint=True)
    x1.sum().backward()
    assert weight.grad is not None and weight.grad.item() > 0

    generator = MODELS.build(cfg.model.generator)
    assert type(generator.solver).__name__ == 'RalstonSolver'
    sys.modules.pop('example_solver', None)
    sys.modules.pop('example_solver.ralston_solver', None)
