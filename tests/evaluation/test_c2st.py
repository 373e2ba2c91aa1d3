"""The classifier two-sample test separates what differs and only that."""
import pytest
import torch

import alignflow.evaluation.c2st as c2st_module
from alignflow.datasets import list_images, write_toy_dataset
from alignflow.evaluation.c2st import C2ST


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp('c2st')
    sets = dict(source=write_toy_dataset(root / 'source', num_samples=80, img_size=32,
                                         domain='source', seed=0),
                source_again=write_toy_dataset(root / 'source_again', num_samples=80,
                                               img_size=32, domain='source', seed=1),
                target=write_toy_dataset(root / 'target', num_samples=80, img_size=32,
                                         domain='target', seed=2),
                target_more=write_toy_dataset(root / 'target_more', num_samples=40,
                                              img_size=32, domain='target', seed=3))
    return {k: list_images(v) for k, v in sets.items()}


def test_one_distribution_is_not_separable(toy, tmp_path):
    test = C2ST(toy['source'], toy['source_again'], (32, 32), seeds=(0, 1), steps=150,
                cache_dir=tmp_path)
    assert 0.3 <= sum(test.accuracies) / 2 <= 0.7


def test_shifted_domains_are_and_real_target_images_score_as_target(toy, tmp_path,
                                                                    monkeypatch):
    from alignflow.datasets.references import load_images
    test = C2ST(toy['source'], toy['target'], (32, 32), seeds=(0, 1), steps=150,
                cache_dir=tmp_path)
    accuracy = sum(test.accuracies) / 2
    assert accuracy > 0.9
    unseen_target = load_images(toy['target_more'], (32, 32))
    unseen_source = load_images(toy['source_again'], (32, 32))
    report = test.report(unseen_target)
    assert abs(report['c2st_target_share'] - accuracy) < 0.15
    assert test.report(unseen_source)['c2st_target_share'] < 0.15
    assert set(report) == {'c2st_target_share', 'c2st_target_share_std', 'c2st_accuracy',
                           'c2st_accuracy_std'}

    def must_not_train(*args, **kwargs):
        raise AssertionError('the cached classifiers were trained again')

    monkeypatch.setattr(c2st_module, 'train_domain_classifier', must_not_train)
    cached = C2ST(toy['source'], toy['target'], (32, 32), seeds=(0, 1), steps=150,
                  cache_dir=tmp_path)
    assert cached.accuracies == test.accuracies
    assert cached.target_shares(unseen_target) == test.target_shares(unseen_target)


def test_too_few_images_are_refused():
    with pytest.raises(ValueError, match='at least 2 source and 2 target'):
        c2st_module.train_domain_classifier(torch.zeros(1, 3, 8, 8), torch.zeros(4, 3, 8, 8), 0)


def _with_colour_blobs(images: torch.Tensor, seed: int) -> torch.Tensor:
    """A cyan blob of 5x5 px at a random place in every (N, 3, H, W) image in [-1, 1]: the kind
    of artifact a "which domain" classifier need not notice."""
    generator = torch.Generator().manual_seed(seed)
    blobbed = images.clone()
    for image in blobbed:
        y, x = torch.randint(0, image.shape[-1] - 5, (2, ), generator=generator).tolist()
        image[:, y:y + 5, x:x + 5] = torch.tensor([-1.0, 1.0, 1.0])[:, None, None]
    return blobbed


def test_real_vs_generated_is_near_chance_for_one_distribution_and_sees_blobs(toy):
    from alignflow.datasets.references import load_images
    target = load_images(toy['target'], (32, 32))
    target_again = load_images(toy['target_more'], (32, 32))
    same = c2st_module.real_vs_generated(target_again, target, seeds=(0, 1), steps=150)
    assert set(same) == {'real_vs_generated_accuracy', 'real_vs_generated_accuracy_std'}
    assert 0.3 <= same['real_vs_generated_accuracy'] <= 0.7
    blobbed = c2st_module.real_vs_generated(_with_colour_blobs(target_again, 0), target,
                                            seeds=(0, 1), steps=150)
    assert blobbed['real_vs_generated_accuracy'] > 0.85
