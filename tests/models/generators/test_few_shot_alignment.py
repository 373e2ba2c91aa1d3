import copy
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.optim import OptimWrapper
from mmengine.runner.checkpoint import load_state_dict

from alignflow.datasets import build_reference_split, write_toy_dataset
from alignflow.models.generators import FewShotAlignment, MaskConditionedFlow
from alignflow.models.generators.data_preprocessor import encode_mask
from alignflow.apis import prepare_reference_split
from alignflow.registry import MODELS
from alignflow.rewards.diversity_guard import STAGE1_SPREAD_DRAWS

NET = dict(type='ConditionalUNet', base_channels=16, channel_mults=(1, 2), num_res_blocks=1,
           attention_levels=(1, ), num_heads=2)
GENERATOR = dict(type='MaskConditionedFlow', velocity_net=NET,
                 solver=dict(type='EulerSolver', num_steps=4))
REWARD = dict(type='MMDReward', feature_extractor=dict(type='LowLevelStatistics'))
REPO = Path(__file__).resolve().parents[3]


def loss_parts(fm=0.5, anchor=1.0, mask_anchor=0.0, points='source'):
    """The loss parts of the given weights (0 leaves a part out)."""
    parts = [dict(type='FlowMatchingLoss', loss_weight=fm),
             dict(type='Stage1AnchorLoss', loss_weight=anchor, points=points),
             dict(type='MaskEffectAnchorLoss', loss_weight=mask_anchor, points=points)]
    return [part for part in parts if part['loss_weight'] > 0]


def guarded(**guard):
    return dict(copy.deepcopy(REWARD), diversity_guard=dict(weight=1.0, **guard))


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


def references(target_folder, k=3, seed=0):
    return [str(p) for p in build_reference_split(str(target_folder), k=k, seed=seed).references]


def build(stage1_checkpoint, target_folder, **kwargs):
    kwargs.setdefault('reference_images', references(target_folder))
    kwargs.setdefault('reference_size', 16)
    kwargs.setdefault('grad_last_k', 2)
    return FewShotAlignment(generator=copy.deepcopy(GENERATOR), reward=copy.deepcopy(REWARD),
                            stage1_checkpoint=str(stage1_checkpoint), **kwargs)


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


def test_a_few_alignment_steps_lower_the_reward(stage1_checkpoint, target_folder):
    torch.manual_seed(0)
    model = build(stage1_checkpoint, target_folder, losses=loss_parts(fm=0.1, anchor=0.1))
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
                         reference_images=references(target_folder), reference_size=16)
    with pytest.raises(ValueError, match='k=50 references requested'):
        references(target_folder, k=50)
    with pytest.raises(ValueError, match='reference_split'):
        build(stage1_checkpoint, target_folder, reference_images=[])
    with pytest.raises(ValueError, match='grad_last_k'):
        build(stage1_checkpoint, target_folder, num_steps=1)


def test_mask_anchor_holds_what_the_mask_changes_and_frees_the_rest(stage1_checkpoint,
                                                                    target_folder):
    generator = dict(copy.deepcopy(GENERATOR), cond_dropout=0.1)
    model = FewShotAlignment(generator=generator, reward=copy.deepcopy(REWARD),
                             stage1_checkpoint=str(stage1_checkpoint), grad_last_k=2,
                             reference_images=references(target_folder), reference_size=16,
                             losses=loss_parts(anchor=1.0, mask_anchor=1.0))
    inputs = source_batch()

    def anchors():
        torch.manual_seed(7)
        losses = model.alignment_losses(inputs)
        return float(losses['loss_anchor'].detach()), float(losses['loss_mask_anchor'].detach())

    assert anchors() == (0.0, 0.0)  # still the stage-1 model
    with torch.no_grad():  # a mask-independent change of the velocity: a new look
        model.generator.velocity_net.out_conv.bias.add_(0.5)
    velocity_anchor, mask_anchor = anchors()
    assert velocity_anchor > 0.2 and mask_anchor < 1e-10
    with torch.no_grad():  # a change of how the mask acts on the velocity
        first = model.generator.velocity_net.input_blocks[0][0].weight
        first[:, -1].add_(torch.randn_like(first[:, -1]))
    assert anchors()[1] > 1e-4
    with pytest.raises(ValueError, match='cond_dropout=0'):
        build(stage1_checkpoint, target_folder, losses=loss_parts(mask_anchor=1.0))


def test_anchors_on_samples_look_at_the_models_own_images_not_the_source(stage1_checkpoint,
                                                                         target_folder):
    generator = dict(copy.deepcopy(GENERATOR), cond_dropout=0.1)

    def anchors(points, source_images):
        torch.manual_seed(0)
        model = FewShotAlignment(generator=copy.deepcopy(generator), reward=copy.deepcopy(REWARD),
                                 stage1_checkpoint=str(stage1_checkpoint), grad_last_k=2,
                                 reference_images=references(target_folder), reference_size=16,
                                 losses=loss_parts(mask_anchor=1.0, points=points))
        with torch.no_grad():  # the model has drifted from stage 1
            for param in model.generator.velocity_net.parameters():
                param.add_(0.05 * torch.randn_like(param))
        inputs = dict(source_batch(), img=source_images)
        torch.manual_seed(7)
        losses = model.alignment_losses(inputs)
        return [float(losses[k].detach()) for k in ('loss_anchor', 'loss_mask_anchor')]

    images = source_batch()['img']
    other = images.flip(0).neg()  # other source images for the same masks
    on_samples = anchors('samples', images)
    assert min(on_samples) > 0 and on_samples == anchors('samples', other)
    assert anchors('source', images) != anchors('source', other)
    with pytest.raises(ValueError, match="points must be 'source'"):
        build(stage1_checkpoint, target_folder, losses=loss_parts(points='trajectory'))


def test_anchors_on_samples_train_the_decoder_half_of_the_appearance_preset(
        stage1_checkpoint, target_folder):
    """The user guide's setting for masks before the look: the preset's trainable subset with
    points='samples' anchors. The samples are detached, so the anchors must still reach the
    decoder through the velocity evaluated at them, and leave the frozen encoder alone."""
    torch.manual_seed(0)
    model = FewShotAlignment(generator=dict(copy.deepcopy(GENERATOR), cond_dropout=0.1),
                             reward=copy.deepcopy(REWARD), stage1_checkpoint=str(stage1_checkpoint),
                             grad_last_k=2, reference_images=references(target_folder),
                             reference_size=16,
                             losses=loss_parts(mask_anchor=1.0, points='samples'),
                             trainable=[r'^velocity_net\.(output_blocks|out_norm|out_conv)\.'])
    with torch.no_grad():  # the model has drifted from stage 1
        for param in model.generator.velocity_net.parameters():
            param.add_(0.05 * torch.randn_like(param))
    losses = model.alignment_losses(source_batch())
    (losses['loss_anchor'] + losses['loss_mask_anchor']).backward()
    named = dict(model.generator.named_parameters())
    trained = [n for n, p in named.items() if p.requires_grad]
    assert trained and all(named[n].grad is not None and named[n].grad.abs().sum() > 0
                           for n in trained if n.endswith('weight'))
    assert all(p.grad is None for p in named.values() if not p.requires_grad)


def test_diversity_guard_reaches_the_generator_through_the_samples(stage1_checkpoint,
                                                                   tmp_path):
    colours = []
    for i, value in enumerate((10, 120, 240)):  # references of three very different looks
        colours.append(str(tmp_path / f'{i}.png'))
        cv2.imwrite(colours[-1], np.full((16, 16, 3), value, np.uint8))
    torch.manual_seed(0)
    model = FewShotAlignment(generator=copy.deepcopy(GENERATOR),
                             reward=guarded(), stage1_checkpoint=str(stage1_checkpoint),
                             grad_last_k=2, reference_images=colours, reference_size=16)
    losses = model.alignment_losses(source_batch())
    # Stage 1 here paints near-noise: far less varied than the references.
    assert losses['spread_ratio'] < 1 and losses['loss_diversity'] > 0
    losses['loss_diversity'].backward()
    grads = [p.grad for p in model.generator.parameters() if p.grad is not None]
    assert grads and sum(float(g.abs().sum()) for g in grads) > 0


def test_guard_can_hold_stage1s_own_spread(stage1_checkpoint, target_folder):
    def aligner(**kwargs):
        return FewShotAlignment(generator=copy.deepcopy(GENERATOR), grad_last_k=2,
                                stage1_checkpoint=str(stage1_checkpoint),
                                reference_images=references(target_folder),
                                reference_size=16, **kwargs)
    model = aligner(reward=guarded(target='stage1'))
    guard = model.reward.diversity_guard
    of_references = float(guard.target_spread)
    inputs = source_batch()
    torch.manual_seed(1)
    model.alignment_losses(inputs)
    held = float(guard.target_spread)
    torch.manual_seed(1)  # the same draws, painted by the generator: still stage 1 here
    with torch.no_grad():
        spreads = [float(guard.spreads(
            model.generator.sample(inputs['mask'], noise=torch.randn(4, 3, 16, 16)).clamp(-1, 1),
            model.reward.embed)) for _ in range(STAGE1_SPREAD_DRAWS)]
    assert held == pytest.approx(sum(spreads) / len(spreads), rel=1e-5)
    assert held != pytest.approx(of_references, rel=1e-2)
    with torch.no_grad():
        for param in model.generator.parameters():
            param.add_(0.05)
    model.alignment_losses(inputs)
    assert float(guard.target_spread) == held  # measured once, on stage 1

    spaces = [dict(type='RandomConvFeatures', seed=seed, widths=(8, )) for seed in (1, 2)]
    several = aligner(reward=guarded(features=spaces, target='stage1'))
    of_references = several.reward.diversity_guard.target_spread.clone()
    terms = several.alignment_losses(inputs)
    assert several.reward.diversity_guard.target_spread.shape == (2, )
    assert terms['loss_diversity'].dim() == 0
    assert not torch.allclose(several.reward.diversity_guard.target_spread, of_references)

    with pytest.raises(ValueError, match="target must be 'references', 'stage1' or"):
        aligner(reward=guarded(target='real'))


def test_guard_can_hold_stage1s_spread_on_each_batch(stage1_checkpoint, target_folder):
    model = FewShotAlignment(generator=copy.deepcopy(GENERATOR), grad_last_k=2,
                             stage1_checkpoint=str(stage1_checkpoint),
                             reward=guarded(target='stage1_batch'),
                             reference_images=references(target_folder), reference_size=16)
    guard = model.reward.diversity_guard
    inputs = source_batch()
    # Still stage 1: it paints stage 1's very images from the same noise, nothing to make up.
    losses = model.alignment_losses(inputs)
    assert float(losses['spread_ratio']) == pytest.approx(1.0, rel=1e-4)
    assert float(losses['loss_diversity']) == pytest.approx(0.0, abs=1e-5)
    paint = model.generator.sample  # a generator whose images are 10x less varied
    model.generator.sample = lambda mask, **kwargs: paint(mask, **kwargs) * 0.1
    torch.manual_seed(3)
    noise = torch.randn(4, 3, 16, 16)
    expected = guard.spreads(model.paint_stage1(inputs['mask'], noise).clamp(-1, 1),
                             model.reward.embed)
    torch.manual_seed(3)
    losses = model.alignment_losses(inputs)
    assert torch.allclose(guard.target_spread, expected, rtol=1e-5)
    assert float(losses['spread_ratio']) < 1 and float(losses['loss_diversity']) > 0
    other = source_batch(seed=1)
    model.alignment_losses(other)
    assert not torch.allclose(guard.target_spread, expected)  # measured per batch


LORA = dict(rank=2, alpha=2.0, targets=[r'\.(qkv|proj)$', r'^output_blocks\.'])


def test_lora_alignment_trains_only_the_low_rank_updates(stage1_checkpoint, target_folder):
    torch.manual_seed(0)
    model = build(stage1_checkpoint, target_folder, lora=copy.deepcopy(LORA))
    saved = torch.load(stage1_checkpoint, weights_only=False)['state_dict']
    assert model.anchor.state_dict().keys() == {k[len('velocity_net.'):] for k in saved}
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all('.lora_' in n for n in trainable)
    assert 'generator.velocity_net.middle_block.1.qkv.lora_up.weight' in trainable
    inputs = source_batch()
    with torch.no_grad():
        before = model.generator.velocity_net(inputs['img'], torch.full((4, ), 0.5),
                                              inputs['mask'])
    wrapper = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-2))
    for _ in range(2):
        total, _ = model.parse_losses(model.alignment_losses(inputs))
        wrapper.update_params(total)
    state = model.generator.state_dict()
    for key, value in saved.items():  # every stage-1 weight, now under `.base` when wrapped
        stored = state.get(key, state.get(key.replace('.weight', '.base.weight').replace(
            '.bias', '.base.bias')))
        assert torch.equal(stored, value), key
    assert all(state[n[len('generator.'):]].abs().sum() > 0 for n in trainable)  # all moved

    merged = model.merged_generator()
    assert merged.state_dict().keys() == saved.keys()
    with torch.no_grad():
        t = torch.full((4, ), 0.5)
        after = model.generator.velocity_net(inputs['img'], t, inputs['mask'])
        assert torch.allclose(merged.velocity_net(inputs['img'], t, inputs['mask']), after,
                              atol=1e-5)
    assert not torch.allclose(after, before, atol=1e-4)
    with pytest.raises(ValueError, match='cannot be combined with trainable'):
        build(stage1_checkpoint, target_folder, lora=copy.deepcopy(LORA),
              trainable=[r'output_blocks'])


@pytest.mark.parametrize('lora', [None, LORA])
def test_checkpoints_leave_out_the_rebuilt_anchor_and_reward(stage1_checkpoint, target_folder,
                                                             lora):
    model = build(stage1_checkpoint, target_folder, lora=copy.deepcopy(lora))
    with torch.no_grad():
        for param in model.generator.parameters():
            param.add_(torch.randn_like(param))
    state = model.state_dict()
    assert state.keys() == {f'generator.{k}' for k in model.generator.state_dict()}

    fresh = build(stage1_checkpoint, target_folder, lora=copy.deepcopy(lora))
    load_state_dict(fresh, state, strict=True)  # mmengine's loader: raises on missing keys
    for key, value in fresh.generator.state_dict().items():
        assert torch.equal(value, state[f'generator.{key}'])
    old = dict(state, **{f'anchor.{k}': v for k, v in model.anchor.state_dict().items()},
               **{f'reward.{k}': v for k, v in model.reward.state_dict().items()})
    fresh.load_state_dict(old, strict=True)  # checkpoints from before still load
    with pytest.raises(RuntimeError, match='generator.velocity_net.out_conv'):
        fresh.load_state_dict({k: v for k, v in state.items() if 'out_conv' not in k})


def config_path(name: str) -> Path:
    """A product under configs/stage2/, else a study under projects/alignment_studies/."""
    product = REPO / 'configs' / 'stage2' / f'{name}.py'
    return product if product.is_file() else \
        REPO / 'projects' / 'alignment_studies' / 'configs' / f'{name}.py'


@pytest.mark.parametrize('name', ['stage2_toy_5shot_32px_lora', 'stage2_toy_5shot_32px_decoder',
                                  'stage2_clinicdb_5shot_64px_lora',
                                  'stage2_clinicdb_5shot_64px_decoder',
                                  'stage2_clinicdb_5shot_32px_lora',
                                  'stage2_clinicdb_5shot_32px_decoder',
                                  'stage2_clinicdb_5shot_64px',
                                  'stage2_clinicdb_5shot_32px', 'stage2_toy_5shot_32px_appearance'])
def test_preset_configs_build(stage1_checkpoint, target_folder, name):
    cfg = Config.fromfile(config_path(name))
    cfg.model.generator.velocity_net.update(NET)
    cfg.model.stage1_checkpoint = str(stage1_checkpoint)
    cfg.reference_split = dict(folder=str(target_folder), k=3, seed=0)
    cfg.model.reference_size = 16
    prepare_reference_split(cfg)
    model = MODELS.build(cfg.model)
    trainable = [n for n, p in model.generator.named_parameters() if p.requires_grad]
    if name.endswith('lora'):
        assert cfg.optim_wrapper.optimizer.lr == 1e-3
        assert all('.lora_' in n for n in trainable)
        for layer in ('middle_block.1.qkv', 'output_blocks.0.0.in_layers.2',
                      'output_blocks.1.2.conv'):
            assert f'velocity_net.{layer}.lora_up.weight' in trainable
    else:
        assert all(n.startswith(('velocity_net.output_blocks.', 'velocity_net.out_'))
                   for n in trainable)
        assert 'velocity_net.out_conv.weight' in trainable
    # The appearance preset (the polyp default) also guards the batch's spread.
    appearance = ('stage2_clinicdb_5shot_64px', 'stage2_clinicdb_5shot_32px',
                  'stage2_toy_5shot_32px_appearance')
    assert (model.reward.diversity_guard is not None) == (name in appearance)


@pytest.mark.parametrize('lora', [None, LORA])
def test_export_writes_a_stage1_shaped_generator(stage1_checkpoint, target_folder, tmp_path,
                                                 lora):
    from alignflow.apis import export_generator
    model = build(stage1_checkpoint, target_folder, lora=copy.deepcopy(lora))
    with torch.no_grad():
        for name, param in model.generator.named_parameters():
            if param.requires_grad:
                param.add_(0.1 * torch.randn_like(param))
    stage2 = tmp_path / 'iter_4.pth'
    torch.save(dict(state_dict=model.state_dict()), stage2)
    model_cfg = dict(type='FewShotAlignment', generator=copy.deepcopy(GENERATOR), lora=lora)
    export_generator(model_cfg, stage2, tmp_path / 'out' / 'generator.pth')

    plain = MaskConditionedFlow(velocity_net=dict(NET), solver=dict(type='EulerSolver',
                                                                    num_steps=4))
    saved = torch.load(tmp_path / 'out' / 'generator.pth', weights_only=False)
    plain.load_state_dict(saved['state_dict'], strict=True)  # stage-1 keys, nothing else
    inputs, t = source_batch(), torch.full((4, ), 0.5)
    with torch.no_grad():
        expected = model.generator.velocity_net(inputs['img'], t, inputs['mask'])
        assert torch.allclose(plain.velocity_net(inputs['img'], t, inputs['mask']), expected,
                              atol=1e-5)
    assert [p.name for p in (tmp_path / 'out').iterdir()] == ['generator.pth']
    with pytest.raises(ValueError, match='FewShotAlignment'):
        export_generator(GENERATOR, stage2, tmp_path / 'x.pth')
    with pytest.raises(ValueError, match='no generator'):
        export_generator(model_cfg, stage1_checkpoint, tmp_path / 'x.pth')


def test_export_tool_refuses_a_missing_checkpoint_and_writes_a_generator(
        stage1_checkpoint, target_folder, tmp_path):
    config = tmp_path / 'stage2.py'
    config.write_text(f'model = dict(type="FewShotAlignment", generator={GENERATOR!r})\n')

    def export(checkpoint):
        return subprocess.run([sys.executable, 'tools/export_generator.py', str(config),
                               str(checkpoint), str(tmp_path / 'out.pth')],
                              cwd=REPO, capture_output=True, text=True)

    missing = export(tmp_path / 'no.pth')
    assert missing.returncode == 1 and 'no.pth' in missing.stderr
    assert 'Traceback' not in missing.stderr  # one message; --debug shows the traceback
    model = build(stage1_checkpoint, target_folder)
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'iter_1.pth')
    written = export(tmp_path / 'iter_1.pth')
    assert written.returncode == 0, written.stderr
    saved = torch.load(tmp_path / 'out.pth', weights_only=False)['state_dict']
    assert saved.keys() == model.generator.state_dict().keys()
    again = export(tmp_path / 'iter_1.pth')  # never over an existing file without --overwrite
    assert again.returncode == 1 and 'out.pth exists' in again.stderr
    assert 'Traceback' not in again.stderr
    before = (tmp_path / 'iter_1.pth').read_bytes()
    from alignflow.apis import export_generator
    with pytest.raises(FileExistsError, match='is the stage-2 checkpoint it exports from'):
        export_generator(dict(type='FewShotAlignment', generator=GENERATOR),
                         tmp_path / 'iter_1.pth', tmp_path / 'iter_1.pth', overwrite=True)
    assert (tmp_path / 'iter_1.pth').read_bytes() == before


def test_the_grid_paints_stage1_and_aligned_on_the_same_noise(stage1_checkpoint, target_folder):
    from mmseg.structures import SegDataSample
    model = build(stage1_checkpoint, target_folder).eval()
    samples = [SegDataSample(metainfo=dict(img_path=f'{i}.png')) for i in range(5)]
    data = dict(inputs=source_batch(num=5), data_samples=samples)
    rows = model.grid_rows(data)
    assert [r.shape for r in rows] == [(5, 3, 16, 16)] * 5 and rows[1].dtype == torch.uint8
    assert torch.equal(rows[1], rows[2])  # not trained yet: stage 1 and aligned agree
    with torch.no_grad():
        for p in model.generator.velocity_net.out_conv.parameters():
            p.add_(0.5)
    moved = model.grid_rows(data)
    assert torch.equal(moved[1], rows[1]) and not torch.equal(moved[2], rows[2])
    references = model.references[torch.arange(5) % 3]  # k = 3, repeated to 5 columns
    assert torch.equal(moved[4], ((references.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8))
    assert 'references' not in model.state_dict()


def velocity_batch_sizes(model, inputs, seed=0):
    """The batch size of every velocity-network call in one step's losses and backward, as
    ('forward' | 'backward', B), and the gradients of the trained parameters."""
    calls = []
    net = model.generator.velocity_net
    handle = net.register_forward_pre_hook(
        lambda module, args: calls.append(('backward' if in_backward[0] else 'forward',
                                           args[0].shape[0])))
    in_backward = [False]
    torch.manual_seed(seed)
    losses = model.alignment_losses(inputs)
    total = sum(value for name, value in losses.items() if name.startswith('loss'))
    in_backward[0] = True
    total.backward()
    handle.remove()
    grads = [p.grad.clone() for p in model.parameters() if p.grad is not None]
    return calls, grads


def test_kept_steps_without_checkpointing_give_the_same_gradients_without_recomputing(
        stage1_checkpoint, target_folder):
    inputs = source_batch()
    checkpointed, grads = velocity_batch_sizes(
        build(stage1_checkpoint, target_folder), inputs)
    stored, stored_grads = velocity_batch_sizes(
        build(stage1_checkpoint, target_folder, checkpoint_kept_steps=False), inputs)
    assert [c for c in checkpointed if c[0] == 'backward'] == [('backward', 4)] * 2  # K=2
    assert [c for c in stored if c[0] == 'backward'] == []
    for a, b in zip(grads, stored_grads, strict=True):
        torch.testing.assert_close(a, b)


def test_anchor_pairs_evaluate_the_loss_parts_on_that_many_pairs(stage1_checkpoint,
                                                                 target_folder):
    inputs = source_batch(num=4)
    whole, _ = velocity_batch_sizes(build(stage1_checkpoint, target_folder), inputs)
    subset, _ = velocity_batch_sizes(build(stage1_checkpoint, target_folder, anchor_pairs=2),
                                     inputs)
    sampling = [('forward', 4)] * 4  # the 4 solver steps, on the whole batch either way
    assert whole[:4] == subset[:4] == sampling
    assert {size for _, size in whole[4:]} == {4}
    assert {size for phase, size in subset[4:] if phase == 'forward'} == {2}
    with pytest.raises(ValueError, match='anchor_pairs must be a positive number'):
        build(stage1_checkpoint, target_folder, anchor_pairs=0)


def test_randomised_k_keeps_a_number_of_steps_drawn_from_its_range(stage1_checkpoint,
                                                                   target_folder):
    model = build(stage1_checkpoint, target_folder, randomize_k=True)  # grad_last_k=2 of 4
    inputs = source_batch()
    kept = set()
    for seed in range(8):
        calls, _ = velocity_batch_sizes(model, inputs, seed=seed)
        recomputed = len([c for c in calls if c[0] == 'backward'])  # one per kept step
        kept.add(recomputed)
    assert kept == {1, 2}


def test_training_can_sample_with_fewer_steps_than_evaluation(stage1_checkpoint, target_folder):
    model = build(stage1_checkpoint, target_folder, num_steps=2, grad_last_k=1,
                  checkpoint_kept_steps=False)
    calls, _ = velocity_batch_sizes(model, source_batch())
    assert len(calls) == 2 + 1  # 2 solver steps, then one evaluation shared by the loss parts
    sampled = []
    handle = model.generator.velocity_net.register_forward_pre_hook(
        lambda module, args: sampled.append(args[0].shape[0]))
    model.generator.sample(source_batch()['mask'])
    handle.remove()
    assert len(sampled) == model.generator.solver.num_steps == 4


def test_cpu_mixed_precision_runs_the_velocity_net_in_bfloat16_and_the_reward_in_float32(
        stage1_checkpoint, target_folder):
    from alignflow.engine.optimizers.amp_optim_wrapper import AutoAmpOptimWrapper
    model = build(stage1_checkpoint, target_folder)
    dtypes = dict(net=set(), reward=set())
    model.generator.velocity_net.register_forward_hook(
        lambda module, args, out: dtypes['net'].add(out.dtype))
    model.reward.register_forward_pre_hook(lambda module, args: dtypes['reward'].add(
        args[0].dtype))
    trained = [p for p in model.parameters() if p.requires_grad]
    before = [p.detach().clone() for p in trained]
    wrapper = AutoAmpOptimWrapper(optimizer=torch.optim.Adam(trained, lr=1e-3))
    with wrapper.optim_context(model):
        losses = model.alignment_losses(source_batch())
    total, _ = model.parse_losses(losses)
    wrapper.update_params(total)
    assert dtypes == dict(net={torch.bfloat16}, reward={torch.float32})
    assert torch.isfinite(total)
    assert all(p.dtype == torch.float32 for p in trained)  # the weights stay float32
    assert any(not torch.equal(p, b) for p, b in zip(trained, before))
