"""Flow matching: probability paths, training-time samplers and fixed-step ODE solvers."""
from .paths import CondOTPath, CosinePath, PathSample, ProbabilityPath, expand_t_like
from .solvers import (EulerSolver, FixedStepSolver, HeunSolver, MidpointSolver, RK4Solver,
                      VelocityFn)
from .time_samplers import LogitNormalTimeSampler, TimeSampler, UniformTimeSampler

__all__ = [
    'PathSample', 'ProbabilityPath', 'CondOTPath', 'CosinePath', 'expand_t_like',
    'TimeSampler', 'UniformTimeSampler', 'LogitNormalTimeSampler',
    'VelocityFn', 'FixedStepSolver', 'EulerSolver', 'MidpointSolver', 'HeunSolver', 'RK4Solver',
]
