"""Mixed precision on CUDA and on the CPU through mmengine's ``AmpOptimWrapper``."""
import logging

import torch
from mmengine.device import is_cuda_available
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from alignflow.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AutoAmpOptimWrapper(AmpOptimWrapper):
    """``AmpOptimWrapper`` that also runs on the CPU.

    mmengine's wrapper refuses to start without an accelerator, although its ``autocast``
    supports CPU bfloat16. On CUDA this class is exactly ``AmpOptimWrapper`` (fp16 with dynamic
    loss scaling by default, or ``dtype='bfloat16'``). On the CPU it autocasts to bfloat16 and
    uses a disabled ``GradScaler`` (bfloat16 has float32's range, so no loss scaling is needed),
    keeping ``AmpOptimWrapper``'s backward/step/state_dict code paths. A CPU without native
    bfloat16 instructions (AVX-512 BF16 or AMX) emulates them and is usually slower than in
    float32: that gets a warning.
    """

    def __init__(self, loss_scale='dynamic', dtype=None, use_fsdp: bool = False, **kwargs):
        if is_cuda_available():
            super().__init__(loss_scale=loss_scale, dtype=dtype, use_fsdp=use_fsdp, **kwargs)
            return
        if dtype not in (None, 'bfloat16', torch.bfloat16):
            raise ValueError(f'CPU mixed precision supports only bfloat16, got dtype={dtype}')
        OptimWrapper.__init__(self, **kwargs)
        self._scale_update_param = None
        self.loss_scaler = torch.amp.GradScaler('cpu', enabled=False)
        self.cast_dtype = torch.bfloat16
        if not cpu_has_native_bfloat16():
            print_log('this CPU has no native bfloat16 instructions (AVX-512 BF16 or AMX): '
                      'mixed precision is emulated and usually slower than float32 here; '
                      'drop --amp (or the AutoAmpOptimWrapper) on this machine',
                      logger='current', level=logging.WARNING)


def cpu_has_native_bfloat16() -> bool:
    """Whether oneDNN runs bfloat16 convolutions and matmuls natively on this CPU."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
