"""AlignFlow: few-shot distribution-aligned flow matching for medical image-mask synthesis."""
from .utils.atomic_backend import install_atomic_local_backend
from .utils.checkpoint_compat import install_trusted_checkpoint_loader
from .utils.mmcv_compat import install_mmcv_ops_fallback
from .version import __version__

install_mmcv_ops_fallback()
install_trusted_checkpoint_loader()
install_atomic_local_backend()

__all__ = ['__version__']
