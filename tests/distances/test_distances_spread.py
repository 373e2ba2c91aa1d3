"""spread_across_images: the diversity figure of the metrics and of the reward's guard."""
import pytest
import torch

from alignflow.distances import spread_across_images
from alignflow.evaluation.generation_metric import image_spread


def test_spread_is_the_mean_distance_between_different_images():
    assert float(spread_across_images(torch.tensor([[0., 0.], [3., 4.]]))) == pytest.approx(5)
    # Two images of two patches each: only the 4 cross-image pairs count (1, 11, 9, 1).
    patches = torch.tensor([[0.], [10.], [1.], [11.]])
    assert float(spread_across_images(patches, per_image=2)) == pytest.approx(5.5)
    with pytest.raises(ValueError, match='2 images or more'):
        spread_across_images(torch.zeros(2, 3), per_image=2)


def test_spread_of_equal_features_has_a_finite_gradient():
    features = torch.zeros(3, 4, requires_grad=True)
    spread_across_images(features).backward()
    assert torch.isfinite(features.grad).all()


def test_spread_is_the_mean_of_cdist_over_distinct_rows():
    features = torch.randn(7, 5, generator=torch.Generator().manual_seed(0)).double() * 30 + 100
    distances = torch.cdist(features, features)
    expected = distances.sum() / (7 * 6)
    assert float(spread_across_images(features)) == pytest.approx(float(expected), rel=1e-9)
    assert image_spread(features.numpy()) == pytest.approx(float(expected), rel=1e-9)
    assert image_spread(features[:1].numpy()) == 0.0
