from .base import DistributionReward, flip_views
from .distribution_rewards import MMDReward, SinkhornReward, SlicedWassersteinReward

__all__ = ['DistributionReward', 'MMDReward', 'SinkhornReward', 'SlicedWassersteinReward',
           'flip_views']
