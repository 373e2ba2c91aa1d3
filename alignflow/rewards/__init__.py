from .base import DistributionReward
from .distribution_rewards import MMDReward, SinkhornReward, SlicedWassersteinReward
from .diversity_guard import DiversityGuard
from .hf_guard import HighFrequencyGuard
from .reference_bank import ReferenceBank, flip_views
from .stage1_painter import Stage1Painter

__all__ = ['DistributionReward', 'DiversityGuard', 'HighFrequencyGuard', 'MMDReward',
           'ReferenceBank', 'SinkhornReward', 'SlicedWassersteinReward', 'Stage1Painter',
           'flip_views']
