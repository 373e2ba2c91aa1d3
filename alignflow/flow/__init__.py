"""Flow matching: probability paths, training-time samplers and fixed-step ODE solvers."""
from .loss import flow_matching_loss
from .paths import (CondOTPath, CosinePath, PathCoefficients, PathSample, ProbabilityPath,
                    expand_t_like)
from .solvers import (EulerSolver, FixedStepSolver, HeunSolver, MidpointSolver, RK4Solver,
                      VelocityFn)
from .time_samplers import LogitNormalTimeSampler, TimeSampler, UniformTimeSampler

__all__ = [
    'flow_matching_loss', 'PathCoefficients', 'PathSample', 'ProbabilityPath', 'CondOTPath',
    'CosinePath', 'expand_t_like',
    'TimeSampler', 'UniformTimeSampler', 'LogitNormalTimeSampler',
    'VelocityFn', 'FixedStepSolver', 'EulerSolver', 'MidpointSolver', 'HeunSolver', 'RK4Solver',
]
