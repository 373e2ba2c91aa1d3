"""Agreement of AlignFlow's FID Inception and FID/KID with torch-fidelity, offline.

Reference: torch-fidelity 0.4.0 (https://github.com/toshas/torch-fidelity, Apache-2.0), its
pure-PyTorch port of the TensorFlow 'inception-2015-12-05' FID network
(``torch_fidelity/feature_extractor_inceptionv3.py``, ``FeatureExtractorInceptionV3``) and its
metric code (``fid_features_to_statistics`` / ``fid_statistics_to_metric`` in
``metric_fid.py``, ``kid_features_to_metric`` / ``kernel_mmd`` / ``mmd2`` in ``metric_kid.py``).
No weights are downloaded: the networks are compared on the same random weights.

How torch-fidelity is imported without torchvision
--------------------------------------------------
torch-fidelity declares torchvision as a dependency, and AlignFlow's environment has none (no
PyPI torchvision imports beside the pinned CPU torch 2.13). ``import torch_fidelity`` fails:
its ``__init__`` imports ``feature_extractor_clip`` (``import torchvision``), and
``metric_fid``/``metric_kid`` import ``torch_fidelity.utils`` (``import torchvision``, the
dataset/extractor plumbing). The modules tested here do not need torchvision, so
:func:`_load_torch_fidelity` imports the real files of the installed package as follows, and
nothing else:

* ``sys.modules['torch_fidelity']`` is a bare stand-in package whose ``__path__`` is the
  installed package directory (found with ``importlib.util.find_spec``, which does not run the
  real ``__init__``), so ``importlib.import_module('torch_fidelity.<name>')`` runs the real
  files ``feature_extractor_inceptionv3.py``, ``metric_fid.py`` and ``metric_kid.py`` and their
  torchvision-free imports (``helpers``, ``defaults``, ``deprecations``,
  ``feature_extractor_base``, ``interpolate_compat_tensorflow``), unmodified;
* ``sys.modules['torch_fidelity.utils']`` is a stub holding the six names that ``metric_fid``
  and ``metric_kid`` import from it (``get_cacheable_input_name``,
  ``cache_lookup_one_recompute_on_miss``, ``extract_featuresdict_from_input_id_cached``,
  ``create_feature_extractor``, ``resolve_feature_extractor``,
  ``resolve_feature_layer_for_metric``); they raise if called, and only the input/caching
  functions (``calculate_fid``, ``fid_inputs_to_metric``, ``calculate_kid``, ...) call them,
  none of which is used here;
* only where ``tqdm`` is not installed (torch-fidelity depends on it, AlignFlow does not),
  ``sys.modules['tqdm']`` is a stub whose ``tqdm(iterable, **kwargs)`` returns ``iterable``
  (``kid_features_to_metric`` uses it as a progress bar around its subset loop, nothing else).

Afterwards every ``sys.modules`` entry that was added or replaced is restored, so no other test
sees the stand-ins. torch-fidelity is installed without its dependencies
(``pip install --no-deps torch-fidelity==0.4.0``); the tests skip if it is not installed.

Conventions that differ (and how the comparison removes them)
-------------------------------------------------------------
* Input: torch-fidelity takes uint8 images in [0, 255] and feeds the network ``(x - 128) / 128``;
  ``FIDInceptionV3`` takes floats in [-1, 1] (AlignFlow maps uint8 with ``x / 127.5 - 1``). Our
  model is fed ``(x - 128) / 128`` of the same uint8 images, so both networks see identical
  tensors.
* Resize (the one known difference of the networks' pipelines): torch-fidelity resizes to
  299x299 with ``interpolate_bilinear_2d_like_tensorflow1x(align_corners=False)``, i.e. TF1's
  legacy bilinear (source coordinate ``dst * in / out``, no half-pixel centres); ours uses
  ``F.interpolate(mode='bilinear', align_corners=False)`` (half-pixel centres, as pytorch-fid).
  The images here are 299x299, where both resizes are the identity (checked), so no resize
  happens.
* Precision: torch-fidelity 0.4.0 maps ``feature_extractor_internal_dtype='float64'`` to
  float32 (``helpers.text_to_dtype``), so its extractor is cast to float64 by hand (``.double()``
  and its ``feature_extractor_internal_dtype`` attribute); it still returns its features as
  float32, which bounds the agreement at float32 rounding (~1e-7 relative).

Parameter mapping: torch-fidelity keeps pytorch-fid's module names, which ``FIDInceptionV3``
also uses, so the key map is the identity; :func:`_fidelity_key` states it, and the test checks
that it is a bijection between the two state dicts with equal shapes, covering every parameter
and buffer of the 2048-d path (all but ``fc``). BatchNorm weights, biases and running
statistics are randomised too (``random_init`` leaves them at 1/0/0/1), so a mismatched BN key
would show in the features.

KID convention: torch-fidelity's default ``mmd_est='unbiased'`` drops the diagonals of
``K_XX`` and ``K_YY`` (divides by ``m(m-1)``) and keeps the diagonal of ``K_XY`` (divides by
``m^2``), as ``alignflow.distances.mmd2(unbiased=True)`` and ``kid``; the std over subsets is
``np.std`` (ddof=0). Its subsets are ``RandomState(rng_seed).choice(n, m, replace=False)``
draws, alternately for the two sets; the test replays those draws and evaluates our per-subset
MMD on the same index sets.
"""
import importlib
import importlib.util
import sys
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import alignflow  # noqa: F401
from alignflow.distances import frechet_distance, gaussian_stats, kid, mmd2
from alignflow.evaluation import compute_generation_metrics, metric_names
from alignflow.features import FIDInceptionV3

_UTILS_NAMES = ('get_cacheable_input_name', 'cache_lookup_one_recompute_on_miss',
                'extract_featuresdict_from_input_id_cached', 'create_feature_extractor',
                'resolve_feature_extractor', 'resolve_feature_layer_for_metric')


def _needs_torchvision(*args, **kwargs):
    raise RuntimeError('torch_fidelity.utils is stubbed in this test (it needs torchvision)')


def _load_torch_fidelity():
    """``(feature_extractor_inceptionv3, metric_fid, metric_kid)`` modules of the installed
    torch-fidelity, imported without torchvision (see the module docstring), or None if
    torch-fidelity is not installed."""
    spec = importlib.util.find_spec('torch_fidelity')
    if spec is None or not spec.submodule_search_locations:
        return None
    stubbed = ['torch_fidelity', 'torch_fidelity.utils']
    try:
        importlib.import_module('tqdm')
    except ImportError:
        stubbed.append('tqdm')
    saved = dict(sys.modules)
    try:
        package = types.ModuleType('torch_fidelity')
        package.__path__ = list(spec.submodule_search_locations)
        package.__file__ = spec.origin
        sys.modules['torch_fidelity'] = package
        utils = types.ModuleType('torch_fidelity.utils')
        for name in _UTILS_NAMES:
            setattr(utils, name, _needs_torchvision)
        sys.modules['torch_fidelity.utils'] = utils
        if 'tqdm' in stubbed:
            tqdm = types.ModuleType('tqdm')
            tqdm.tqdm = lambda iterable, *args, **kwargs: iterable
            sys.modules['tqdm'] = tqdm
        modules = tuple(
            importlib.import_module(f'torch_fidelity.{name}')
            for name in ('feature_extractor_inceptionv3', 'metric_fid', 'metric_kid'))
    finally:
        for name in [n for n in sys.modules if n not in saved or sys.modules[n] is not saved[n]]:
            if name in saved:
                sys.modules[name] = saved[name]
            else:
                del sys.modules[name]
    assert 'torchvision' not in sys.modules or 'torchvision' in saved
    return modules


_TF = _load_torch_fidelity()
pytestmark = pytest.mark.skipif(
    _TF is None, reason='torch-fidelity is not installed (pip install --no-deps '
    'torch-fidelity==0.4.0; its torchvision dependency is not needed by these tests)')
if _TF is not None:
    tf_inception, tf_fid, tf_kid = _TF


@pytest.fixture
def one_thread():
    """Keep the CPU footprint small (one intra-op thread), restoring the setting after."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _fidelity_key(alignflow_key: str) -> str:
    """torch-fidelity's state-dict key of a ``FIDInceptionV3`` key. Both keep pytorch-fid's
    module names (``Conv2d_1a_3x3.conv.weight``, ``Mixed_7c.branch_pool.bn.running_var``,
    ``fc.bias``, ...); torch-fidelity's extra modules (``MaxPool_1``, ``MaxPool_2``,
    ``AvgPool``) hold no parameters. So the map is the identity."""
    return alignflow_key


def _random_state_dict(model: torch.nn.Module, seed: int) -> dict:
    """``model``'s state dict with seeded random BatchNorm affine parameters and running
    statistics (convs and fc keep ``random_init``'s He-normal weights)."""
    generator = torch.Generator().manual_seed(seed)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    for key, value in state.items():
        if not value.is_floating_point() or '.bn.' not in key:
            continue
        if key.endswith('.bn.weight'):
            state[key] = 0.75 + 0.5 * torch.rand(value.shape, generator=generator)
        elif key.endswith('.bn.running_var'):
            state[key] = 0.5 + torch.rand(value.shape, generator=generator)
        else:  # bn.bias, bn.running_mean
            state[key] = 0.1 * torch.randn(value.shape, generator=generator)
    return state


def _max_rel_err(ours: torch.Tensor, ref: torch.Tensor) -> float:
    """Largest absolute difference relative to the largest reference magnitude."""
    ours, ref = ours.double(), ref.double()
    return float((ours - ref).abs().max() / ref.abs().max())


def test_inception_pool_features_match_torch_fidelity(tmp_path, one_thread):
    ours = FIDInceptionV3(random_init=True, seed=0)
    state = _random_state_dict(ours, seed=1)
    ours.load_state_dict(state, strict=True)

    # The key map: a bijection onto torch-fidelity's keys with equal shapes, covering every
    # parameter and buffer of the 2048-d path. torch-fidelity's constructor insists on loading
    # a state dict (strict), so the mapped random weights are saved and passed by path.
    mapped = {_fidelity_key(k): v for k, v in state.items()}
    assert len(mapped) == len(state)
    path = tmp_path / 'random_inception.pth'
    torch.save(mapped, path)
    ref = tf_inception.FeatureExtractorInceptionV3(
        'inception-v3-compat', ['2048'], feature_extractor_weights_path=str(path))
    ref_state = ref.state_dict()
    assert set(ref_state) == set(mapped)
    path_keys = [k for k in state if not k.startswith('fc.')]
    assert len(path_keys) == len(state) - 2
    assert sum(k.endswith('.conv.weight') for k in path_keys) == 94
    for key in state:
        assert ref_state[_fidelity_key(key)].shape == state[key].shape, key
        assert torch.equal(ref_state[_fidelity_key(key)], state[key]), key

    # float64 on both sides (torch-fidelity 0.4.0 maps 'float64' to float32, so set it here).
    ours.double()
    ref.double()
    ref.feature_extractor_internal_dtype = torch.float64

    generator = torch.Generator().manual_seed(2)
    images = torch.randint(0, 256, (2, 3, 299, 299), dtype=torch.uint8, generator=generator)
    # Smooth content as well as noise: a low-resolution pattern upsampled, plus noise.
    coarse = torch.rand((2, 3, 8, 8), generator=generator, dtype=torch.float64) * 255
    smooth = F.interpolate(coarse, size=(299, 299), mode='bilinear', align_corners=False)
    images = (0.7 * smooth + 0.3 * images.double()).round().clamp(0, 255).to(torch.uint8)

    # At 299x299 both resizes are the identity, so neither pipeline resizes.
    as_float = images.double()
    tf_resized = tf_inception.interpolate_bilinear_2d_like_tensorflow1x(
        as_float, size=(299, 299), align_corners=False)
    assert torch.equal(tf_resized, as_float)
    assert torch.equal(
        F.interpolate(as_float, size=(299, 299), mode='bilinear', align_corners=False), as_float)

    with torch.no_grad():
        (ref_features, ) = ref(images)
        our_features = ours((images.double() - 128) / 128)  # torch-fidelity's normalisation
    assert ref_features.shape == our_features.shape == (2, 2048)
    assert ref_features.dtype == torch.float32  # torch-fidelity returns float32 features
    assert ref_features.abs().max() > 0
    error = _max_rel_err(our_features, ref_features)
    print(f'inception 2048-d pool features: max relative error {error:.3e}')
    assert error < 1e-4


def _feature_sets(n: int, m: int, dim: int, seed: int):
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(dim, dim)) / np.sqrt(dim)
    x = rng.normal(size=(n, dim)) @ mixing
    y = 0.9 * rng.normal(size=(m, dim)) @ mixing + 0.15 * rng.normal(size=(m, dim)) + 0.2
    return x, y


def test_fid_matches_torch_fidelity(one_thread):
    x, y = _feature_sets(300, 280, 64, seed=0)
    ref_x = tf_fid.fid_features_to_statistics(torch.from_numpy(x))
    ref_y = tf_fid.fid_features_to_statistics(torch.from_numpy(y))
    ref = tf_fid.fid_statistics_to_metric(ref_x, ref_y, verbose=False)[tf_fid.KEY_METRIC_FID]

    mu_x, sigma_x = gaussian_stats(torch.from_numpy(x))
    mu_y, sigma_y = gaussian_stats(torch.from_numpy(y))
    np.testing.assert_allclose(mu_x.numpy(), ref_x['mu'], rtol=0, atol=1e-12)
    np.testing.assert_allclose(sigma_x.numpy(), ref_x['sigma'], rtol=0, atol=1e-12)
    np.testing.assert_allclose(sigma_y.numpy(), ref_y['sigma'], rtol=0, atol=1e-12)
    ours = frechet_distance(mu_x, sigma_x, mu_y, sigma_y)
    via_metrics = compute_generation_metrics(x, y, ['fid'], 'inception')['fid']

    assert ref > 1.0  # a real distance, not a near-zero one dominated by rounding
    for value in (ours, via_metrics):
        error = abs(value - ref) / abs(ref)
        print(f'FID {value:.12g} vs torch-fidelity {ref:.12g}: relative error {error:.3e}')
        assert error < 1e-6


def test_kid_matches_torch_fidelity_on_its_subsets(one_thread):
    x, y = _feature_sets(300, 280, 64, seed=1)
    num_subsets, subset_size, seed = 20, 100, 2020
    ref = tf_kid.kid_features_to_metric(
        torch.from_numpy(x), torch.from_numpy(y), kid_subsets=num_subsets,
        kid_subset_size=subset_size, rng_seed=seed, verbose=False)

    # Replay torch-fidelity's subset draws and evaluate both per-subset MMDs on them.
    rng = np.random.RandomState(seed)
    ours, ref_per_subset = [], []
    for _ in range(num_subsets):
        xs = x[rng.choice(len(x), subset_size, replace=False)]
        ys = y[rng.choice(len(y), subset_size, replace=False)]
        ours.append(
            float(mmd2(torch.from_numpy(xs), torch.from_numpy(ys), kernel='polynomial',
                       unbiased=True)))
        ref_per_subset.append(float(tf_kid.kernel_mmd(xs, ys)))
        # The biased (V-statistic) estimators agree as well.
        kernels = [tf_kid.kernel_poly(a, b) for a, b in ((xs, xs), (xs, ys), (ys, ys))]
        biased = float(tf_kid.mmd2(*kernels, mmd_est='biased'))
        ours_biased = float(
            mmd2(torch.from_numpy(xs), torch.from_numpy(ys), kernel='polynomial', unbiased=False))
        assert abs(ours_biased - biased) <= 1e-10 * abs(biased)
    ours, ref_per_subset = np.array(ours), np.array(ref_per_subset)

    scale = np.abs(ref_per_subset).max()
    subset_error = float(np.abs(ours - ref_per_subset).max() / scale)
    mean_error = abs(ours.mean() - ref[tf_kid.KEY_METRIC_KID_MEAN]) / abs(
        ref[tf_kid.KEY_METRIC_KID_MEAN])
    std_error = abs(ours.std() - ref[tf_kid.KEY_METRIC_KID_STD]) / ref[tf_kid.KEY_METRIC_KID_STD]
    print(f'KID per subset: max relative error {subset_error:.3e}; mean '
          f'{ours.mean():.12g} vs {ref[tf_kid.KEY_METRIC_KID_MEAN]:.12g} ({mean_error:.3e}); '
          f'std {ours.std():.12g} vs {ref[tf_kid.KEY_METRIC_KID_STD]:.12g} ({std_error:.3e})')
    assert ref[tf_kid.KEY_METRIC_KID_MEAN] > 2 * ref[tf_kid.KEY_METRIC_KID_STD] > 0
    assert subset_error < 1e-10
    assert mean_error < 1e-10
    assert std_error < 1e-8


def test_kid_function_matches_torch_fidelity_on_full_sets(one_thread):
    """``alignflow.distances.kid`` itself (torch subsets): with the subset size equal to both set
    sizes every subset is a permutation of the whole set on both sides, so the mean is exactly
    comparable and the spread is zero."""
    x, y = _feature_sets(150, 150, 32, seed=2)
    ref = tf_kid.kid_features_to_metric(
        torch.from_numpy(x), torch.from_numpy(y), kid_subsets=3, kid_subset_size=150,
        verbose=False)
    ref_mean = ref[tf_kid.KEY_METRIC_KID_MEAN]
    mean, std = kid(torch.from_numpy(x), torch.from_numpy(y), num_subsets=3, subset_size=150,
                    generator=torch.Generator().manual_seed(0))
    names = metric_names('inception')
    via_metrics = compute_generation_metrics(x, y, ['kid'], 'inception', kid_subsets=3,
                                             kid_subset_size=150)
    assert ref_mean > 0
    for value in (float(mean), via_metrics[names['kid']]):
        error = abs(value - ref_mean) / abs(ref_mean)
        print(f'KID (full sets) {value:.12g} vs torch-fidelity {ref_mean:.12g}: relative error '
              f'{error:.3e}')
        assert error < 1e-10
    assert float(std) < 1e-10 * abs(ref_mean)
    assert ref[tf_kid.KEY_METRIC_KID_STD] < 1e-10 * abs(ref_mean)
