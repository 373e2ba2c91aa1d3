from .alignment_monitor_hook import AlignmentMonitorHook
from .health_check_hook import HealthCheckHook
from .rng_state_hook import RNGStateHook
from .sample_grid_hook import SampleGridHook, image_grid
from .write_pairs_hook import WriteGeneratedPairsHook

__all__ = ['AlignmentMonitorHook', 'HealthCheckHook', 'RNGStateHook', 'SampleGridHook',
           'WriteGeneratedPairsHook', 'image_grid']
