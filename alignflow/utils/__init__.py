from .distributed import prepare_launcher
from .mmcv_compat import has_compiled_mmcv_ops, install_mmcv_ops_fallback
from .set_env import register_all_modules

__all__ = ['has_compiled_mmcv_ops', 'install_mmcv_ops_fallback', 'prepare_launcher',
           'register_all_modules']
