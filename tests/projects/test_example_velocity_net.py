import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from alignflow.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / 'projects' / 'example_velocity_net'
CONFIG = PROJECT / 'configs' / 'stage1_toy_32px_dilated.py'


@pytest.fixture(scope='module')
def project():
    """The project's package on the path (its config imports it once, through
    ``custom_imports``), dropped from the modules afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(PROJECT))
        yield
    sys.modules.pop('example_velocity_net', None)
    sys.modules.pop('example_velocity_net.dilated_conv_net', None)


def test_project_velocity_net_is_found_through_custom_imports(project):
    cfg = Config.fromfile(str(CONFIG))
    assert cfg.model.velocity_net.type == 'DilatedConvVelocityNet'
    torch.manual_seed(0)
    flow = MODELS.build(cfg.model)
    net = flow.velocity_net
    assert type(net).__name__ == 'DilatedConvVelocityNet'
    assert (net.in_channels, net.cond_channels) == (3, 1)  # filled in by MaskConditionedFlow

    x, cond = torch.randn(2, 3, 12, 20), torch.randn(2, 1, 12, 20).sign()
    assert net(x, torch.rand(2), cond).shape == x.shape  # any side: no down-sampling
    assert torch.count_nonzero(net(x, 0.3, cond)) == 0  # zero velocity at initialisation

    # one loss step reaches every parameter (the output layer first, then through it the rest)
    torch.nn.init.normal_(net.out_conv.weight, std=0.05)
    net(x, torch.rand(2), cond).square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())

    # unconditional, as the mask generator calls it: cond None and cond_channels 0
    mask_net = MODELS.build(dict(cfg.model.velocity_net, in_channels=1, cond_channels=0))
    assert mask_net(x[:, :1], torch.rand(2), None).shape == (2, 1, 12, 20)

    # the flow model samples with it
    mask = torch.randn(2, 1, 8, 8).sign()
    assert flow.sample(mask, num_steps=2).shape == (2, 3, 8, 8)


def test_project_config_is_the_toy_stage1_with_its_network(project):
    ours = Config.fromfile(str(CONFIG)).to_dict()
    product = Config.fromfile(str(REPO / 'configs/stage1/stage1_toy_32px.py')).to_dict()
    assert ours.pop('custom_imports')['imports'] == ['example_velocity_net']
    assert ours['model'].pop('velocity_net')['type'] == 'DilatedConvVelocityNet'
    assert product['model'].pop('velocity_net')['type'] == 'ConditionalUNet'
    assert ours == product


def test_project_config_trains_stage1(project, tmp_path):
    """A few iterations of the config's training, on four 16-px toy pairs."""
    from alignflow.apis import build_runner, load_config
    cfg = load_config(str(CONFIG), work_dir=str(tmp_path / 'work'))
    loader = cfg.train_dataloader
    loader.update(batch_size=2, num_workers=0, persistent_workers=False)
    loader.dataset.update(num_samples=4, img_size=16, data_root=str(tmp_path / 'toy'),
                          pipeline=[dict(step, scale=(16, 16)) if step['type'] == 'Resize'
                                    else step for step in loader.dataset.pipeline])
    cfg.model.velocity_net.width = 16
    cfg.train_cfg.update(max_iters=3, val_interval=100)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.visualizer.name = 'visualizer_example_velocity_net'
    runner = build_runner(cfg)
    before = {k: v.clone() for k, v in runner.model.velocity_net.state_dict().items()}
    runner.train()
    assert runner.iter == 3
    after = runner.model.velocity_net.state_dict()
    assert not torch.equal(before['out_conv.weight'], after['out_conv.weight'])
    assert (tmp_path / 'work' / 'iter_3.pth').is_file()
