from .export import export_generator
from .runner import build_runner, load_config

__all__ = ['build_runner', 'export_generator', 'load_config']
