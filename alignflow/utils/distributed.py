"""Let mmengine's ``pytorch`` launcher run on CPU-only machines (gloo)."""
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config


def prepare_launcher(cfg: Config, launcher: str) -> None:
    """Adapt ``cfg`` for distributed CPU runs and start the gloo process group.

    On CUDA this does nothing: mmengine sets the device and starts NCCL itself. Without CUDA,
    mmengine's ``init_dist`` would call ``torch.cuda.set_device`` and fail, so the gloo
    process group is initialised here first (the runner then skips its own init), the
    DDP wrapper gets ``device_ids=None``, and SyncBN, which needs CUDA, is not used.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    dist_cfg['backend'] = 'gloo'
    cfg.setdefault('env_cfg', {})
    cfg.env_cfg['dist_cfg'] = dist_cfg
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel'))
    wrapper.update(device_ids=None, broadcast_buffers=False)
    cfg.model_wrapper_cfg = wrapper
    if cfg.get('sync_bn'):
        cfg.sync_bn = None
    if launcher == 'pytorch' and not torch_dist.is_initialized():
        for var in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
            if var not in os.environ:
                raise RuntimeError(f'--launcher pytorch needs {var} in the environment: start '
                                   'the script through tools/dist_train.sh or torchrun')
        torch_dist.init_process_group(backend='gloo')
