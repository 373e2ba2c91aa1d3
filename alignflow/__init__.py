"""AlignFlow: few-shot distribution-aligned flow matching for medical image-mask synthesis."""
from .utils.checkpoint_compat import install_trusted_checkpoint_loader
from .utils.mmcv_compat import install_mmcv_ops_fallback
from .version import __version__

install_mmcv_ops_fallback()
install_trusted_checkpoint_loader()

__all__ = ['__version__']
