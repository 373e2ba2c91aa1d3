"""Shared fixtures of the feature-extractor tests."""
import pytest
import torch


@pytest.fixture(autouse=True)
def _single_thread():
    """Run single-threaded: the tensors are small, and on a shared CPU OpenMP's barriers make
    multi-threaded convolutions (the 299 px Inception above all) many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def tiny_unet_cfg():
    """Two-level ConditionalUNet small enough for CPU tests (downsample factor 2)."""
    return dict(type='ConditionalUNet', base_channels=16, channel_mults=(1, 2),
                num_res_blocks=1, attention_levels=(1, ), num_groups=8, cond_channels=1)
