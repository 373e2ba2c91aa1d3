from .energy_distance_reward import EnergyDistanceReward

__all__ = ['EnergyDistanceReward']
