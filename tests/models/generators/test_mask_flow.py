import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from alignflow.evaluation import MaskStatisticsMetric
from alignflow.models.generators import MaskFlow
from alignflow.models.generators.data_preprocessor import encode_mask

NET = dict(type='ConditionalUNet', base_channels=8, channel_mults=(1, 2), num_res_blocks=1,
           attention_levels=(), num_heads=1)
CHAIN = [dict(type='Binarize'), dict(type='RejectByArea', min_fraction=0.01)]


def batch(num=4, size=16):
    labels = torch.zeros(num, 1, size, size, dtype=torch.long)
    labels[:, :, 4:12, 4:12] = 1
    samples = []
    for i in range(num):
        sample = SegDataSample(metainfo=dict(seg_map_path=f'masks/{i}.png'))
        sample.gt_sem_seg = PixelData(data=labels[i])
        samples.append(sample)
    return dict(mask=encode_mask(labels[:, 0], 2)), samples


def test_mask_flow_trains_and_samples_masks():
    torch.manual_seed(0)
    model = MaskFlow(velocity_net=dict(NET), solver=dict(type='EulerSolver', num_steps=2),
                     postprocess=CHAIN)
    assert model.velocity_net.in_channels == 1 and model.velocity_net.cond_channels == 0
    inputs, samples = batch()
    losses = model.loss(inputs)
    assert losses['loss_fm'].dim() == 0 and losses['loss_fm'] > 0
    losses['loss_fm'].backward()
    assert model.velocity_net.out_conv.weight.grad is not None
    maps = model.sample(torch.randn(3, 1, 16, 16))
    assert maps.shape == (3, 1, 16, 16)
    out = model.predict(inputs, samples)
    for sample in out:
        assert sample.gen_mask_map.data.shape == (1, 16, 16)
        assert sample.gen_mask.data.dtype == torch.uint8
        assert set(sample.gen_mask.data.unique().tolist()) <= {0, 1}
        assert 'fm_loss' in sample and isinstance(sample.mask_rejected, str)
    again = model.predict(inputs, batch()[1])  # noise seeded per file
    assert torch.equal(again[0].gen_mask_map.data, out[0].gen_mask_map.data)
    rows = model.grid_rows(dict(inputs=inputs, data_samples=samples))
    assert [r.shape for r in rows] == [(4, 3, 16, 16)] * 3
    metric = MaskStatisticsMetric(size=(16, 16))
    metric.process({}, [s.to_dict() for s in out])
    results = metric.compute_metrics(metric.results)
    assert 0 <= results['rejected'] <= 1 and results['fg_fraction_real'] == 0.25


def test_mask_flow_refuses_a_conditioned_net_and_multi_class_masks():
    with pytest.raises(ValueError, match='in_channels=1 and cond_channels=0'):
        MaskFlow(velocity_net=dict(NET, cond_channels=1))
    model = MaskFlow(velocity_net=dict(NET))
    with pytest.raises(ValueError, match='binary masks'):
        model.loss(dict(mask=torch.zeros(2, 3, 16, 16)))
