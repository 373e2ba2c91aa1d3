"""FIDInceptionV3: pytorch-fid state-dict layout, FID pooling patches, weight loading."""
import pytest
import torch
import torch.nn.functional as F

import alignflow  # noqa: F401
from alignflow.features import (FID_WEIGHTS_URL, WEIGHTS_ENV, FIDInceptionV3,
                                InceptionWeightsUnavailable)
from alignflow.features.inception import FIDInceptionA, FIDInceptionC, FIDInceptionE

# pytorch-fid's FID Inception = torchvision Inception3(aux_logits=False, num_classes=1008).
# torchvision documents 27,161,264 parameters for inception_v3 (1000 classes, with AuxLogits);
# AuxLogits holds 3,326,696 (conv0 768*128 + 2*128, conv1 128*768*25 + 2*768, fc 768*1000 +
# 1000), and 1008 instead of 1000 classes adds 8 * 2049.
FID_INCEPTION_PARAMS = 27_161_264 - 3_326_696 + 8 * 2049  # 23,850,960


def _expected_state_dict_shapes():
    """Key -> shape of pytorch-fid's ``fid_inception_v3()`` state dict, written from the
    architecture tables (independently of the module code)."""
    convs = [('Conv2d_1a_3x3', 3, 32, 3, 3), ('Conv2d_2a_3x3', 32, 32, 3, 3),
             ('Conv2d_2b_3x3', 32, 64, 3, 3), ('Conv2d_3b_1x1', 64, 80, 1, 1),
             ('Conv2d_4a_3x3', 80, 192, 3, 3)]
    for name, cin, pool in (('Mixed_5b', 192, 32), ('Mixed_5c', 256, 64), ('Mixed_5d', 288, 64)):
        convs += [(f'{name}.{b}', *spec) for b, spec in (
            ('branch1x1', (cin, 64, 1, 1)), ('branch5x5_1', (cin, 48, 1, 1)),
            ('branch5x5_2', (48, 64, 5, 5)), ('branch3x3dbl_1', (cin, 64, 1, 1)),
            ('branch3x3dbl_2', (64, 96, 3, 3)), ('branch3x3dbl_3', (96, 96, 3, 3)),
            ('branch_pool', (cin, pool, 1, 1)))]
    convs += [(f'Mixed_6a.{b}', *spec) for b, spec in (
        ('branch3x3', (288, 384, 3, 3)), ('branch3x3dbl_1', (288, 64, 1, 1)),
        ('branch3x3dbl_2', (64, 96, 3, 3)), ('branch3x3dbl_3', (96, 96, 3, 3)))]
    for name, c7 in (('Mixed_6b', 128), ('Mixed_6c', 160), ('Mixed_6d', 160), ('Mixed_6e', 192)):
        convs += [(f'{name}.{b}', *spec) for b, spec in (
            ('branch1x1', (768, 192, 1, 1)), ('branch7x7_1', (768, c7, 1, 1)),
            ('branch7x7_2', (c7, c7, 1, 7)), ('branch7x7_3', (c7, 192, 7, 1)),
            ('branch7x7dbl_1', (768, c7, 1, 1)), ('branch7x7dbl_2', (c7, c7, 7, 1)),
            ('branch7x7dbl_3', (c7, c7, 1, 7)), ('branch7x7dbl_4', (c7, c7, 7, 1)),
            ('branch7x7dbl_5', (c7, 192, 1, 7)), ('branch_pool', (768, 192, 1, 1)))]
    convs += [(f'Mixed_7a.{b}', *spec) for b, spec in (
        ('branch3x3_1', (768, 192, 1, 1)), ('branch3x3_2', (192, 320, 3, 3)),
        ('branch7x7x3_1', (768, 192, 1, 1)), ('branch7x7x3_2', (192, 192, 1, 7)),
        ('branch7x7x3_3', (192, 192, 7, 1)), ('branch7x7x3_4', (192, 192, 3, 3)))]
    for name, cin in (('Mixed_7b', 1280), ('Mixed_7c', 2048)):
        convs += [(f'{name}.{b}', *spec) for b, spec in (
            ('branch1x1', (cin, 320, 1, 1)), ('branch3x3_1', (cin, 384, 1, 1)),
            ('branch3x3_2a', (384, 384, 1, 3)), ('branch3x3_2b', (384, 384, 3, 1)),
            ('branch3x3dbl_1', (cin, 448, 1, 1)), ('branch3x3dbl_2', (448, 384, 3, 3)),
            ('branch3x3dbl_3a', (384, 384, 1, 3)), ('branch3x3dbl_3b', (384, 384, 3, 1)),
            ('branch_pool', (cin, 192, 1, 1)))]
    shapes = {}
    for name, cin, cout, kh, kw in convs:
        shapes[f'{name}.conv.weight'] = (cout, cin, kh, kw)
        for buffer in ('weight', 'bias', 'running_mean', 'running_var'):
            shapes[f'{name}.bn.{buffer}'] = (cout, )
        shapes[f'{name}.bn.num_batches_tracked'] = ()
    shapes['fc.weight'] = (1008, 2048)
    shapes['fc.bias'] = (1008, )
    return shapes


@pytest.fixture(scope='module')
def random_inception():
    return FIDInceptionV3(random_init=True, seed=1)


def test_state_dict_matches_pytorch_fid_layout(random_inception):
    expected = _expected_state_dict_shapes()
    actual = {k: tuple(v.shape) for k, v in random_inception.state_dict().items()}
    assert len(expected) == 566
    assert actual == expected
    assert actual['Conv2d_1a_3x3.conv.weight'] == (32, 3, 3, 3)
    assert actual['Mixed_7c.branch_pool.conv.weight'] == (192, 2048, 1, 1)
    n_params = sum(p.numel() for p in random_inception.parameters())
    spec_params = sum(torch.Size(s).numel() for k, s in expected.items()
                      if k.endswith(('conv.weight', 'bn.weight', 'bn.bias', 'fc.weight',
                                     'fc.bias')))
    assert n_params == spec_params == FID_INCEPTION_PARAMS == 23_850_960
    assert not random_inception.has_pretrained_weights


def _pool_branch_input(block, x):
    seen = []
    handle = block.branch_pool.register_forward_pre_hook(lambda _, args: seen.append(args[0]))
    with torch.no_grad():
        block(x)
    handle.remove()
    return seen[0]


@pytest.mark.parametrize('make_block, max_pool', [
    (lambda: FIDInceptionA(3, pool_features=2), False),
    (lambda: FIDInceptionC(3, channels_7x7=2), False),
    (lambda: FIDInceptionE(3, max_pool=False), False),  # pytorch-fid FIDInceptionE_1
    (lambda: FIDInceptionE(3, max_pool=True), True),  # pytorch-fid FIDInceptionE_2
])
def test_fid_pooling_patches(make_block, max_pool):
    x = torch.randn(1, 3, 5, 5)
    pooled = _pool_branch_input(make_block().eval(), x)
    if max_pool:
        torch.testing.assert_close(pooled, F.max_pool2d(x, 3, stride=1, padding=1))
    else:  # TensorFlow-style: padded zeros are left out of the mean
        torch.testing.assert_close(
            pooled, F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False))
        assert not torch.allclose(pooled, F.avg_pool2d(x, 3, stride=1, padding=1))


def test_weights_file_round_trip(random_inception, tmp_path, monkeypatch):
    path = tmp_path / 'pt_inception-2015-12-05-6726825d.pth'
    torch.save(random_inception.state_dict(), path)
    loaded = FIDInceptionV3(weights=str(path))
    assert loaded.has_pretrained_weights
    images = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        expected = random_inception(images)
        assert expected.shape == (1, 2048)
        torch.testing.assert_close(loaded(images), expected, rtol=0, atol=0)
    monkeypatch.setenv(WEIGHTS_ENV, str(path))
    from_env = FIDInceptionV3()
    torch.testing.assert_close(from_env.fc.weight, random_inception.fc.weight, rtol=0, atol=0)
    assert all(not p.requires_grad for p in from_env.parameters())


def test_random_init_is_seeded(random_inception):
    weight = random_inception.Mixed_7c.branch_pool.conv.weight
    same = FIDInceptionV3(random_init=True, seed=1).Mixed_7c.branch_pool.conv.weight
    other = FIDInceptionV3(random_init=True, seed=5).Mixed_7c.branch_pool.conv.weight
    assert torch.equal(weight, same) and not torch.equal(weight, other)


def test_missing_weights_explain_how_to_get_them(tmp_path, monkeypatch):
    missing = str(tmp_path / 'nowhere.pth')
    for kwargs in (dict(weights=missing), {}):
        monkeypatch.setenv(WEIGHTS_ENV, missing)
        with pytest.raises(InceptionWeightsUnavailable) as info:
            FIDInceptionV3(**kwargs)
        message = str(info.value)
        assert isinstance(info.value, FileNotFoundError)
        assert missing in message and WEIGHTS_ENV in message and FID_WEIGHTS_URL in message
        assert 'random_init=True' in message


def test_wrong_weights_file(tmp_path):
    path = tmp_path / 'other.pth'
    torch.save({'fc.weight': torch.zeros(1008, 2048)}, path)
    with pytest.raises(RuntimeError, match='pytorch-fid'):
        FIDInceptionV3(weights=str(path))
    with pytest.raises(ValueError, match='not both'):
        FIDInceptionV3(weights=str(path), random_init=True)
