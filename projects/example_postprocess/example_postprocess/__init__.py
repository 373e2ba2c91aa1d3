from .convex_hull import ConvexHull
from .reject_by_eccentricity import RejectByEccentricity

__all__ = ['ConvexHull', 'RejectByEccentricity']
