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


def test_the_documented_command_line_builds_a_joined_reward():
    import argparse
    from pathlib import Path

    from mmengine.config import Config, DictAction

    from alignflow.registry import REWARDS
    from alignflow.utils.config_options import merge_options
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args([
        '--cfg-options', 'model.reward.feature_extractor.type=ConcatenatedFeatures',
        '+model.reward.feature_extractor.extractors=[LowLevelStatistics,RandomConvFeatures]'
    ]).cfg_options
    config = Path(__file__).parents[2] / 'configs/stage2/stage2_clinicdb_5shot_64px.py'
    cfg = Config.fromfile(str(config))
    merge_options(cfg, options)
    reward = REWARDS.build(cfg.model.reward)
    assert [type(e).__name__ for e in reward.feature_extractor.extractors] == [
        'LowLevelStatistics', 'RandomConvFeatures']
    assert len(reward.blocks) == 2 and reward.diversity_guard.blocks == reward.blocks
