import sys
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.utils import import_modules_from_strings

from alignflow.registry import REWARDS

PROJECT = Path(__file__).resolve().parents[2] / 'projects' / 'example_features'


def test_project_features_are_found_through_custom_imports(monkeypatch):
    monkeypatch.syspath_prepend(str(PROJECT))
    cfg = Config.fromfile(str(PROJECT / 'configs' / 'stage2_toy_5shot_32px_colour.py'))
    import_modules_from_strings(**cfg.custom_imports)
    assert cfg.model.reward.feature_extractor == dict(type='ColourMomentsFeatures')
    reward = REWARDS.build(cfg.model.reward)
    extractor = reward.feature_extractor
    assert type(extractor).__name__ == 'ColourMomentsFeatures'
    assert not any(p.requires_grad for p in extractor.parameters())
    extractor.train()
    assert not extractor.training  # frozen: stays in eval mode

    generator = torch.Generator().manual_seed(0)
    images = torch.rand(4, 3, 16, 24, generator=generator) * 2 - 1
    assert extractor(images).shape == (4, extractor.feature_dim)

    reward.set_references(torch.rand(3, 3, 16, 16, generator=generator) * 0.2 + 0.4)
    near = torch.rand(4, 3, 16, 16, generator=generator) * 0.2 + 0.4
    far = (torch.rand(4, 3, 16, 16, generator=generator) * 0.2 - 0.6).requires_grad_(True)
    far_loss = reward(far)['loss_reward']
    assert reward(near)['loss_reward'] < far_loss
    far_loss.backward()
    assert torch.isfinite(far.grad).all() and far.grad.abs().sum() > 0
    sys.modules.pop('example_features', None)
    sys.modules.pop('example_features.colour_moments', None)
