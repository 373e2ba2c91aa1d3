import copy

import pytest
import torch
from mmengine.optim import OptimWrapper

from alignflow.datasets import write_toy_dataset
from alignflow.models.generators import FewShotAlignment, MaskConditionedFlow
from alignflow.models.generators.data_preprocessor import encode_mask

NET = dict(type='ConditionalUNet', base_channels=16, channel_mults=(1, 2), num_res_blocks=1,
           attention_levels=(1, ), num_heads=2)
GENERATOR = dict(type='MaskConditionedFlow', velocity_net=NET,
                 solver=dict(type='EulerSolver', num_steps=4))
REWARD = dict(type='MMDReward', feature_extractor=dict(type='LowLevelStatistics'))


@pytest.fixture(scope='module')
def stage1_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    generator = MaskConditionedFlow(velocity_net=dict(NET),
                                    solver=dict(type='EulerSolver', num_steps=4))
    torch.nn.init.normal_(generator.velocity_net.out_conv.weight, std=0.02)
    path = tmp_path_factory.mktemp('stage1') / 'iter_10.pth'
    torch.save(dict(state_dict=generator.state_dict()), path)
    return path


@pytest.fixture(scope='module')
def target_folder(tmp_path_factory):
    return write_toy_dataset(tmp_path_factory.mktemp('toy') / 'target', num_samples=8,
                             img_size=16, domain='target', seed=5)


def build(stage1_checkpoint, target_folder, **kwargs):
    kwargs.setdefault('references', dict(folder=str(target_folder), k=3, seed=0, img_size=16))
    return FewShotAlignment(generator=copy.deepcopy(GENERATOR), reward=copy.deepcopy(REWARD),
                            stage1_checkpoint=str(stage1_checkpoint), grad_last_k=2, **kwargs)


def source_batch(num=4, size=16, seed=0):
    generator = torch.Generator().manual_seed(seed)
    labels = (torch.rand(num, 1, size, size, generator=generator) > 0.6).long()
    images = torch.rand(num, 3, size, size, generator=generator) * 2 - 1
    return dict(img=images, mask=encode_mask(labels, 2))


def fixed_noise_reward(model, inputs):
    torch.manual_seed(123)
    with torch.no_grad():
        return float(model.reward(model.generator.sample(inputs['mask']).clamp(-1, 1))[
            'loss_reward'])


def test_loads_stage1_weights_and_a_frozen_anchor(stage1_checkpoint, target_folder):
    model = build(stage1_checkpoint, target_folder)
    saved = torch.load(stage1_checkpoint, weights_only=False)['state_dict']
    for key, value in model.generator.state_dict().items():
        assert torch.equal(value, saved[key])
    assert not any(p.requires_grad for p in model.anchor.parameters())
    assert model.reward.num_references == 3
    assert {p.name for p in model.reference_split.references}.isdisjoint(
        {p.name for p in model.reference_split.heldout})


def test_a_few_alignment_steps_lower_the_reward(stage1_checkpoint, target_folder):
    torch.manual_seed(0)
    model = build(stage1_checkpoint, target_folder, fm_weight=0.1, anchor_weight=0.1)
    inputs = source_batch()
    before = fixed_noise_reward(model, inputs)
    wrapper = OptimWrapper(torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=5e-3))
    for _ in range(12):
        losses = model.alignment_losses(inputs)
        total, _ = model.parse_losses(losses)
        wrapper.update_params(total)
    assert set(losses) >= {'loss_reward', 'loss_hf', 'loss_fm', 'loss_anchor', 'hf_energy'}
    assert fixed_noise_reward(model, inputs) < 0.8 * before


def test_train_step_skips_non_finite_losses_then_stops(stage1_checkpoint, target_folder,
                                                       monkeypatch):
    model = build(stage1_checkpoint, target_folder, max_nonfinite=2)
    before = copy.deepcopy(model.generator.state_dict())
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    monkeypatch.setattr(model, 'alignment_losses',
                        lambda inputs: dict(loss_reward=torch.tensor(float('nan'))))
    data = dict(inputs=[], data_samples=[])
    monkeypatch.setattr(model.data_preprocessor, 'forward',
                        lambda data, training=False: dict(inputs={}))
    assert model.train_step(data, wrapper) == dict(skipped=torch.tensor(1.0))
    with pytest.raises(RuntimeError, match='2 non-finite alignment losses in a row'):
        model.train_step(data, wrapper)
    for key, value in model.generator.state_dict().items():
        assert torch.equal(value, before[key])


def test_trainable_subset_freezes_the_rest(stage1_checkpoint, target_folder):
    model = build(stage1_checkpoint, target_folder,
                  trainable=[r'velocity_net\.(output_blocks|out_)'])
    trainable = {n for n, p in model.generator.named_parameters() if p.requires_grad}
    assert trainable and all('output_blocks' in n or '.out_' in n for n in trainable)
    with pytest.raises(ValueError, match='matches no generator parameter'):
        build(stage1_checkpoint, target_folder, trainable=['nothing_matches_this'])


def test_bad_inputs_get_clear_errors(stage1_checkpoint, target_folder, tmp_path):
    with pytest.raises(FileNotFoundError, match='python tools/train.py configs/x_stage1.py'):
        build(tmp_path / 'missing.pth', target_folder, stage1_config='configs/x_stage1.py')
    wrong = dict(GENERATOR, velocity_net=dict(NET, base_channels=8))
    with pytest.raises(RuntimeError, match='does not match the generator'):
        FewShotAlignment(generator=wrong, reward=copy.deepcopy(REWARD),
                         stage1_checkpoint=str(stage1_checkpoint),
                         references=dict(folder=str(target_folder), k=3, img_size=16))
    with pytest.raises(ValueError, match='k=50 references requested'):
        build(stage1_checkpoint, target_folder,
              references=dict(folder=str(target_folder), k=50, img_size=16))
    with pytest.raises(ValueError, match='grad_last_k'):
        build(stage1_checkpoint, target_folder, num_steps=1)
