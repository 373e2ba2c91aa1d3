"""ConcatenatedFeatures: the blocks are the joined extractors' own features, in order."""
import pytest
import torch

from alignflow.features import ConcatenatedFeatures, LowLevelStatistics, RandomConvFeatures

STATISTICS = dict(type='LowLevelStatistics')
RANDOM_CNN = dict(type='RandomConvFeatures', seed=3, widths=(8, 16))


def test_blocks_hold_each_extractors_features_in_order():
    joined = ConcatenatedFeatures([STATISTICS, RANDOM_CNN])
    images = torch.rand(3, 3, 32, 32) * 2 - 1
    features = joined(images)
    parts = [LowLevelStatistics()(images), RandomConvFeatures(seed=3, widths=(8, 16))(images)]
    assert features.shape == (3, joined.feature_dim)
    assert joined.feature_dim == sum(part.shape[1] for part in parts)
    assert len(joined.block_slices) == 2
    for block, part in zip(joined.block_slices, parts):
        assert torch.allclose(features[:, block], part, atol=1e-6)


def test_refuses_a_single_extractor():
    with pytest.raises(ValueError, match='two extractors or more'):
        ConcatenatedFeatures([STATISTICS])
    with pytest.raises(ValueError, match='two extractors or more'):
        ConcatenatedFeatures(STATISTICS)


def test_extractors_that_read_different_sizes_need_an_input_size():
    sized = dict(type='DINOViTFeatures', random_init=True, input_size=32)
    with pytest.raises(ValueError, match='give ConcatenatedFeatures an input_size'):
        ConcatenatedFeatures([STATISTICS, sized])
    assert ConcatenatedFeatures([STATISTICS, sized], input_size=32).input_size == 32


def test_extractors_can_be_named_as_on_the_command_line():
    joined = ConcatenatedFeatures(['LowLevelStatistics', 'RandomConvFeatures'])
    assert [type(e).__name__ for e in joined.extractors] == ['LowLevelStatistics',
                                                             'RandomConvFeatures']
    with pytest.raises(ValueError, match="'Statistics' is not a registered feature extractor"):
        ConcatenatedFeatures(['Statistics', 'RandomConvFeatures'])
