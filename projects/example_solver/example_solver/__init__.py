from .ralston_solver import RalstonSolver

__all__ = ['RalstonSolver']
