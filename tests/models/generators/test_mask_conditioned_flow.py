import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from alignflow.models.generators import (MaskConditionedFlow, PairDataPreprocessor,
                                         decode_mask, encode_mask)

TINY_NET = dict(type='ConditionalUNet', base_channels=16, channel_mults=(1, 2),
                num_res_blocks=1, attention_levels=(1, ), num_heads=2)


def make_batch(num=2, size=16, num_classes=2, with_images=True):
    inputs, samples = [], []
    for i in range(num):
        label = torch.zeros(1, size, size, dtype=torch.long)
        label[:, 4:4 + i + 4, 3:12] = 1 if num_classes == 2 else (i % (num_classes - 1)) + 1
        sample = SegDataSample(metainfo=dict(seg_map_path=f'masks/{i}.png'))
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
        inputs.append(torch.randint(0, 256, (3, size, size), dtype=torch.uint8))
    return dict(inputs=inputs if with_images else [], data_samples=samples)


def build_model(**kwargs):
    kwargs.setdefault('solver', dict(type='EulerSolver', num_steps=4))
    return MaskConditionedFlow(velocity_net=dict(TINY_NET), **kwargs)


def test_encode_decode_mask_roundtrip():
    labels = torch.tensor([[[0, 1], [1, 0]]])
    binary = encode_mask(labels, num_classes=2)
    assert binary.shape == (1, 1, 2, 2) and set(binary.unique().tolist()) == {-1.0, 1.0}
    assert torch.equal(decode_mask(binary), labels)
    multi = encode_mask(torch.tensor([[[0, 2], [1, 0]]]), num_classes=3)
    assert multi.shape == (1, 3, 2, 2)
    assert torch.equal(decode_mask(multi), torch.tensor([[[0, 2], [1, 0]]]))
    with pytest.raises(ValueError, match='num_classes'):
        encode_mask(torch.tensor([[[0, 5]]]), num_classes=2)


def test_preprocessor_scales_flips_channels_and_encodes_masks():
    batch = make_batch()
    batch['inputs'][0][:] = 0
    batch['inputs'][0][0] = 255  # blue in BGR
    out = PairDataPreprocessor(num_classes=2)(batch)
    img, mask = out['inputs']['img'], out['inputs']['mask']
    assert img.shape == (2, 3, 16, 16) and img.min() >= -1 and img.max() <= 1
    assert torch.all(img[0, 2] == 1) and torch.all(img[0, 0] == -1)  # now RGB
    assert mask.shape == (2, 1, 16, 16)
    assert torch.equal(decode_mask(mask)[0], batch['data_samples'][0].gt_sem_seg.data[0])
    masks_only = PairDataPreprocessor()(make_batch(with_images=False))
    assert masks_only['inputs']['img'] is None


def test_loss_is_finite_and_backpropagates_to_every_parameter():
    torch.manual_seed(0)
    model = build_model(cond_dropout=0.5)
    data = model.data_preprocessor(make_batch(num=4), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_fm'} and torch.isfinite(losses['loss_fm'])
    losses['loss_fm'].backward()
    assert all(p.grad is not None for p in model.velocity_net.parameters())


def test_training_lowers_the_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    model = build_model()
    data = model.data_preprocessor(make_batch(num=4), True)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

    def mean_loss():
        torch.manual_seed(123)
        with torch.no_grad():
            return sum(model.loss(data['inputs'])['loss_fm'] for _ in range(4)) / 4

    before = mean_loss()
    for _ in range(30):
        optimizer.zero_grad()
        model.loss(data['inputs'])['loss_fm'].backward()
        optimizer.step()
    assert mean_loss() < 0.8 * before


def test_predict_is_deterministic_per_file_and_independent_of_batching():
    torch.manual_seed(0)
    model = build_model()
    torch.nn.init.normal_(model.velocity_net.out_conv.weight, std=0.05)
    model.eval()
    data = model.data_preprocessor(make_batch(num=3))
    full = model(**data, mode='predict')
    single = model(**model.data_preprocessor(
        dict(inputs=[make_batch(num=3)['inputs'][1]],
             data_samples=[make_batch(num=3)['data_samples'][1]])), mode='predict')
    assert full[1].gen_img.data.dtype == torch.uint8
    assert full[1].gen_img.data.shape == (3, 16, 16)
    assert torch.equal(full[1].gen_img.data, single[0].gen_img.data)
    assert 'fm_loss' in full[0] and full[0].fm_loss > 0


def test_mask_condition_changes_what_is_generated():
    torch.manual_seed(0)
    model = build_model()
    torch.nn.init.normal_(model.velocity_net.out_conv.weight, std=0.05)
    noise = torch.randn(1, 3, 16, 16)
    ones, zeros = torch.ones(1, 1, 16, 16), -torch.ones(1, 1, 16, 16)
    with torch.no_grad():
        assert not torch.allclose(model.sample(ones, noise=noise), model.sample(zeros, noise=noise))


def test_classifier_free_guidance_extrapolates_from_the_null_condition():
    torch.manual_seed(0)
    model = build_model()
    torch.nn.init.normal_(model.velocity_net.out_conv.weight, std=0.05)
    x, t, mask = torch.randn(2, 3, 16, 16), torch.rand(2), torch.ones(2, 1, 16, 16)
    with torch.no_grad():
        v_cond = model.velocity(x, t, mask, guidance_scale=1.0)
        v_null = model.velocity_net(x, t, torch.zeros_like(mask))
        v_guided = model.velocity(x, t, mask, guidance_scale=3.0)
    torch.testing.assert_close(v_guided, v_null + 3.0 * (v_cond - v_null), rtol=1e-4, atol=1e-5)


def test_mismatched_velocity_net_channels_are_refused():
    with pytest.raises(ValueError, match='cond_channels'):
        MaskConditionedFlow(velocity_net=dict(TINY_NET, cond_channels=3), num_classes=2)
    with pytest.raises(ValueError, match='cond_dropout'):
        build_model(cond_dropout=1.0)


def test_training_without_images_is_refused():
    model = build_model()
    data = model.data_preprocessor(make_batch(with_images=False), True)
    with pytest.raises(ValueError, match='needs images'):
        model(**data, mode='loss')


def test_multiclass_masks_build_matching_condition_channels():
    model = build_model(num_classes=4)
    data = model.data_preprocessor(make_batch(num_classes=4), True)
    assert data['inputs']['mask'].shape[1] == 4
    assert torch.isfinite(model(**data, mode='loss')['loss_fm'])
