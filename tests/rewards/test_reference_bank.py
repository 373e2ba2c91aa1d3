import pytest
import torch

from alignflow.registry import REWARDS
from alignflow.rewards import ReferenceBank, flip_views
from alignflow.rewards.reference_bank import image_patches


def domain(num, red, seed):
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(num, 3, 32, 32, generator=generator) * 0.2 - 0.1
    images[:, 0] += red
    return images.clamp(-1, 1)


def test_bank_holds_every_view_of_every_reference_view_major():
    bank = ReferenceBank(views=('id', 'hflip'))
    images = domain(3, 0.2, seed=0)
    bank.fill(images, lambda x: (x.flatten(1), 1))
    assert bank.num_references == 3 and bank.features.shape == (6, 3 * 32 * 32)
    assert torch.equal(bank.per_view()[1, 2, 0], images[2].flip(-1).flatten())
    assert torch.equal(flip_views(images, ('vflip', )), images.flip(-2))
    with pytest.raises(ValueError, match='unknown reference views'):
        ReferenceBank(views=('rot90', ))
    with pytest.raises(ValueError, match='must be positive'):
        ReferenceBank(patch_size=0)


def test_image_patches_are_the_grid_of_crops_image_major():
    images = torch.arange(2 * 3 * 8 * 12, dtype=torch.float32).view(2, 3, 8, 12)
    patches = image_patches(images, 4, 4)
    assert patches.shape == (2 * 2 * 3, 3, 4, 4)
    assert torch.equal(patches[0], images[0, :, :4, :4])
    assert torch.equal(patches[4], images[0, :, 4:, 4:8])  # row 1, column 1 of image 0
    assert torch.equal(patches[6], images[1, :, :4, :4])
    assert image_patches(images, 4, 2).shape[0] == 2 * 3 * 5
    with pytest.raises(ValueError, match='patch_size 9 is larger'):
        image_patches(images, 9, 9)


PATCH_CFG = dict(type='MMDReward', feature_extractor=dict(type='LowLevelStatistics'),
                 bank=dict(patch_size=16, patch_stride=8))


def test_patch_reward_banks_every_patch_and_keeps_whole_images_apart():
    reward = REWARDS.build(PATCH_CFG)
    reward.set_references(domain(5, 0.6, seed=0))
    assert reward.bank.patches_per_image == 9 and reward.num_references == 5
    assert reward.bank.features.shape[0] == 5 * 4 * 9
    generated = domain(4, -0.2, seed=1).requires_grad_(True)
    losses = reward(generated)
    losses['loss_reward'].backward()
    assert torch.isfinite(generated.grad).all() and generated.grad.abs().sum() > 0
    assert reward.last_features.shape[0] == 4 * 9
    near = reward(domain(6, 0.6, seed=1))['loss_reward']
    assert near < reward(domain(6, -0.4, seed=2))['loss_reward']
    with pytest.raises(ValueError, match='give 1 patches each, the references 9'):
        reward(domain(2, 0.6, seed=3)[..., :16, :16])
