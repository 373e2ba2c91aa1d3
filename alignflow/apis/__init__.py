from .config_resolution import prepare_reference_split, resolve_config
from .export import export_generator
from .runner import build_runner, load_config

__all__ = ['build_runner', 'export_generator', 'load_config', 'prepare_reference_split',
           'resolve_config']
