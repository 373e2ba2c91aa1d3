from .export import export_generator
from .reference_split import prepare_reference_split
from .runner import build_runner, load_config

__all__ = ['build_runner', 'export_generator', 'load_config', 'prepare_reference_split']
