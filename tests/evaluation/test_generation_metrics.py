import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from alignflow.apis import prepare_reference_split
from alignflow.evaluation import (FeatureCache, GenerationMetric, compute_generation_metrics,
                                  metric_names)

REPO = Path(__file__).resolve().parents[2]


def write_folder(root: Path, count: int, shift: float = 0.0, size=(24, 24), seed=0):
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        base = rng.normal(110 + shift, 30, size=(*size, 3))
        cv2.imwrite(str(root / f'img{i:03d}.png'), np.clip(base, 0, 255).astype(np.uint8))
    return root


def test_distances_are_zero_for_identical_sets_and_grow_with_a_shift():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(200, 8))
    itself = compute_generation_metrics(real, real, ['fid'], 'statistics')
    assert abs(itself['fd_statistics']) < 1e-6
    # KID's cross term keeps the diagonal (as torch-fidelity), so compare independent samples.
    previous = compute_generation_metrics(rng.normal(size=(200, 8)), real,
                                          ['fid', 'kid', 'mmd'], 'statistics')
    noise_level = {k: abs(v) for k, v in previous.items()}
    for shift in (0.25, 0.5, 1.0):
        shifted = compute_generation_metrics(real + shift, real, ['fid', 'kid', 'mmd'],
                                             'statistics')
        if previous is not None:
            for key in ('fd_statistics', 'kd_statistics', 'mmd_statistics'):
                assert shifted[key] > previous[key]
        previous = shifted
    for key in ('fd_statistics', 'kd_statistics', 'mmd_statistics'):
        assert shifted[key] > 10 * noise_level[key]
    assert shifted['kd_statistics_subset_size'] == 200


def test_names_reserve_fid_for_the_pretrained_inception():
    assert metric_names('inception')['fid'] == 'fid'
    assert metric_names('random_inception')['fid'] == 'fd_random_inception'
    assert metric_names('statistics')['kid'] == 'kd_statistics'


def test_kid_subset_adapts_to_small_sets_and_refuses_single_images():
    rng = np.random.default_rng(1)
    out = compute_generation_metrics(rng.normal(size=(5, 4)), rng.normal(size=(30, 4)),
                                     ['kid'], 'statistics')
    assert out['kd_statistics_subset_size'] == 5 and out['num_fake'] == 5
    with pytest.raises(ValueError, match='at least 2'):
        compute_generation_metrics(rng.normal(size=(1, 4)), rng.normal(size=(5, 4)), ['kid'],
                                   'statistics')


def test_feature_cache_reuses_and_invalidates_when_a_file_changes(tmp_path):
    folder = write_folder(tmp_path / 'real', 4)
    paths = sorted(folder.glob('*.png'))
    calls = []

    class CountingExtractor(torch.nn.Module):
        def forward(self, images):
            calls.append(len(images))
            return images.mean(dim=(2, 3))

    cache = FeatureCache(tmp_path / 'cache')
    first = cache.get_or_compute(paths, CountingExtractor(), 'mean', (24, 24), progress=False)
    again = cache.get_or_compute(paths, CountingExtractor(), 'mean', (24, 24), progress=False)
    assert calls == [4] and np.array_equal(first, again)
    time.sleep(0.01)
    cv2.imwrite(str(paths[0]), np.zeros((24, 24, 3), np.uint8))
    changed = cache.get_or_compute(paths, CountingExtractor(), 'mean', (24, 24), progress=False)
    assert calls == [4, 4] and not np.array_equal(first, changed)
    assert not list((tmp_path / 'cache').glob('.*tmp*'))


def test_generation_metric_in_an_evaluator_excludes_references(tmp_path):
    real = write_folder(tmp_path / 'target', 12)
    cfg = Config(dict(reference_split=dict(folder=str(real), k=4, seed=0),
                      val_evaluator=dict(type='GenerationMetric', real=None,
                                         feature_space='statistics', measures=('kid', 'mmd'))))
    split = prepare_reference_split(cfg)
    metric = GenerationMetric(**{k: v for k, v in cfg.val_evaluator.items() if k != 'type'})
    assert len(metric.real_paths()) == 8
    assert set(metric.real_paths()).isdisjoint(split.references)
    samples = [dict(gen_img=dict(data=torch.randint(0, 255, (3, 24, 24), dtype=torch.uint8)))
               for _ in range(6)]
    metric.process({}, samples)
    results = metric.evaluate(6)
    assert set(results) >= {'gen/kd_statistics', 'gen/kd_statistics_std', 'gen/mmd_statistics'}
    assert results['gen/num_real'] == 8 and results['gen/num_fake'] == 6
    assert results['gen/hf_energy'] > results['gen/hf_energy_real'] > 0  # uniform noise
    assert results['gen/diversity'] > 0 and results['gen/diversity_real'] > 0


def test_diversity_in_networks_of_its_own_is_one_for_the_real_set_and_zero_for_a_copy(
        tmp_path):
    real = write_folder(tmp_path / 'real', 8, size=(32, 32))
    images = [torch.from_numpy(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB))
              .permute(2, 0, 1) for path in sorted(real.glob('*.png'))]

    def ratios(generated, networks=3):
        metric = GenerationMetric(real=str(real), feature_space='statistics', measures=('mmd', ),
                                  diversity_networks=networks)
        metric.process({}, [dict(gen_img=dict(data=image)) for image in generated])
        results = metric.evaluate(len(generated))
        return {k[len('gen/diversity_ratio'):]: v for k, v in results.items()
                if k.startswith('gen/diversity_ratio')}

    same = ratios(images)
    assert same[''] == pytest.approx(1.0, rel=1e-5) and same['_std'] < 1e-5
    assert ratios([images[0]] * 8) == pytest.approx({'': 0.0, '_std': 0.0, '_min': 0.0},
                                                    abs=1e-4)
    flat = ratios([(image.float() * 0.5 + 64).to(torch.uint8) for image in images])
    assert 0 < flat['_min'] < flat[''] < 1 and flat['_std'] > 0  # the networks disagree
    assert ratios(images, networks=0) == {}
    with pytest.raises(ValueError, match='diversity_networks must be >= 0'):
        GenerationMetric(real=str(real), feature_space='statistics', diversity_networks=-1)


def test_generation_metric_names_a_missing_real_folder_at_build_time(tmp_path):
    with pytest.raises(FileNotFoundError, match='val_evaluator.1.real'):
        GenerationMetric(real=str(tmp_path / 'nowhere'), feature_space='statistics')


def run_tool(*args, **env):
    return subprocess.run([sys.executable, 'tools/eval_generation.py', *map(str, args)],
                          cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


def test_eval_tool_prints_a_table_and_writes_json(tmp_path):
    fake = write_folder(tmp_path / 'fake', 6, shift=40, seed=1)
    real = write_folder(tmp_path / 'real', 8, size=(30, 30))
    cv2.imwrite(str(real / 'odd.png'), np.zeros((20, 26, 3), np.uint8))
    out = tmp_path / 'metrics.json'
    result = run_tool(fake, real, '--metrics', 'fid', 'kid', 'mmd', 'precision', 'recall',
                      '--feature-space', 'statistics', '--out', out)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'real: 9 images, most at 30x30 (1 of another size)' in result.stdout
    assert "both sets read at 24x24, the generated images' size" in result.stdout
    assert 'fd_statistics' in result.stdout and 'kd_statistics_std' in result.stdout
    data = json.loads(out.read_text())
    assert data['num_fake'] == 6 and data['num_real'] == 9 and data['fd_statistics'] > 0
    assert 0.0 <= data['precision_statistics'] <= 1.0
    assert data['diversity'] > 0 and data['diversity_real'] > 0
    assert data['diversity_ratio_min'] <= data['diversity_ratio'] and data['diversity_ratio'] > 0


def test_eval_tool_diversity_is_one_for_a_set_against_itself(tmp_path):
    real = write_folder(tmp_path / 'real', 8, size=(30, 30))
    out = tmp_path / 'metrics.json'
    result = run_tool(real, real, '--metrics', 'mmd', '--feature-space', 'statistics',
                      '--diversity-networks', '3', '--out', out)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'warning: the generated and the real set are the same 8 files' in result.stderr
    data = json.loads(out.read_text())
    assert data['diversity'] == pytest.approx(data['diversity_real'])
    assert data['diversity_ratio'] == pytest.approx(1.0, rel=1e-5)
    assert data['diversity_ratio_std'] < 1e-5
    result = run_tool(real, real, '--metrics', 'mmd', '--feature-space', 'statistics',
                      '--diversity-networks', '0', '--out', out)
    assert result.returncode == 0 and 'diversity_ratio' not in json.loads(out.read_text())
    result = run_tool(real, real, '--feature-space', 'statistics', '--diversity-networks', '-1')
    assert result.returncode != 0 and '--diversity-networks must be >= 0' in result.stderr
    one = write_folder(tmp_path / 'one', 1)
    result = run_tool(real, one, '--metrics', 'mmd', '--feature-space', 'statistics')
    assert result.returncode != 0 and 'Traceback' not in result.stderr
    assert 'the diversity needs at least 2 images per set, but the real folder' in result.stderr


def test_eval_tool_refuses_fid_without_weights_and_bad_folders(tmp_path):
    fake = write_folder(tmp_path / 'fake', 3)
    missing = tmp_path / 'weights.pth'
    result = run_tool(fake, fake, '--weights', missing)
    assert result.returncode != 0 and 'ALIGNFLOW_INCEPTION_WEIGHTS' in result.stderr
    assert '--feature-space statistics' in result.stderr
    (tmp_path / 'empty').mkdir()
    result = run_tool(tmp_path / 'empty', fake, '--feature-space', 'statistics')
    assert result.returncode != 0 and 'no images' in result.stderr
    one = write_folder(tmp_path / 'one', 1)
    for metric in ('kid', 'fid'):  # the same refusal, before any feature is extracted
        result = run_tool(one, fake, '--feature-space', 'statistics', '--metrics', metric)
        assert result.returncode != 0 and 'Traceback' not in result.stderr
        assert f'{metric} needs at least 2 images per set, but the generated folder' \
            in result.stderr and 'extracting' not in result.stdout
    five = write_folder(tmp_path / 'five', 5)
    result = run_tool(five, one, '--feature-space', 'statistics', '--metrics', 'precision')
    assert 'precision needs at least 4 images per set, but the real folder' in result.stderr
    result = run_tool(tmp_path / 'nowhere', fake, '--feature-space', 'statistics')
    assert 'generated folder' in result.stderr and 'the command line' in result.stderr
    assert 'Traceback' not in result.stderr
    (fake / 'broken.png').write_bytes(b'junk')
    result = run_tool(fake, fake, '--feature-space', 'statistics')
    assert result.returncode != 0 and 'broken.png' in result.stderr


def test_eval_tool_without_inception_weights_measures_in_the_packaged_space_and_says_so(
        tmp_path):
    fake = write_folder(tmp_path / 'fake', 4, shift=40, seed=1)
    real = write_folder(tmp_path / 'real', 4)
    out = tmp_path / 'metrics.json'
    env = {'TORCH_HOME': str(tmp_path / 'empty_hub'), 'ALIGNFLOW_INCEPTION_WEIGHTS': ''}
    result = run_tool(fake, real, '--metrics', 'fid', 'kid', '--diversity-networks', '0',
                      '--out', out, **env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'the FID Inception weights are not on this machine' in result.stderr
    data = json.loads(out.read_text())
    assert data['feature_space'] == 'effnet_lite0'
    assert 'fd_effnet_lite0' in data and 'kd_effnet_lite0' in data and 'fid' not in data


def test_eval_tool_writes_nothing_into_the_folders_it_reads(tmp_path):
    fake = write_folder(tmp_path / 'fake', 4, shift=40, seed=1)
    real = write_folder(tmp_path / 'real', 4)
    before = sorted(p.name for p in tmp_path.rglob('*'))
    result = run_tool(fake, real, '--metrics', 'kid', '--feature-space', 'statistics')
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'kd_statistics' in result.stdout
    assert sorted(p.name for p in tmp_path.rglob('*')) == before  # printed only
    result = run_tool(fake, real, '--metrics', 'kid', '--feature-space', 'statistics',
                      '--out', real / 'metrics.json')
    assert result.returncode != 0 and 'only reads' in result.stderr
    assert not (real / 'metrics.json').exists()


def test_c2st_needs_a_source_and_the_tool_reports_it(tmp_path):
    real = write_folder(tmp_path / 'target', 8, shift=60, seed=2)
    with pytest.raises(ValueError, match="'c2st' but no c2st_source"):
        GenerationMetric(real=str(real), feature_space='statistics', measures=('kid', 'c2st'))
    source = write_folder(tmp_path / 'source', 8, seed=3)
    fake = write_folder(tmp_path / 'fake', 6, seed=4)  # source-like: mostly called source
    result = run_tool(fake, real, '--metrics', 'kid', '--feature-space', 'statistics',
                      '--c2st-source', source, '--c2st-seeds', '1', '--out',
                      tmp_path / 'metrics.json')
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads((tmp_path / 'metrics.json').read_text())
    assert data['c2st_accuracy'] > 0.9 and data['c2st_target_share'] < 0.5


def write_one_set_at_two_sizes(root: Path, count: int = 16):
    """The same smooth images at 64x64 and, enlarged, at 128x128."""
    rng = np.random.default_rng(0)
    small, large = root / 'small', root / 'large'
    small.mkdir(parents=True)
    large.mkdir(parents=True)
    for i in range(count):
        noise = rng.uniform(0, 255, (64, 64, 3)).astype(np.float32)
        blobs = cv2.GaussianBlur(noise, (0, 0), 3)
        image = np.clip((blobs - blobs.mean()) * 4 + 128, 0, 255).astype(np.uint8)
        cv2.imwrite(str(small / f'{i}.png'), image)
        cv2.imwrite(str(large / f'{i}.png'),
                    cv2.resize(image, (128, 128), interpolation=cv2.INTER_CUBIC))
    return small, large


def test_eval_tool_compares_one_set_at_two_sizes_at_one_size(tmp_path):
    small, large = write_one_set_at_two_sizes(tmp_path)
    out = tmp_path / 'metrics.json'
    args = (small, large, '--metrics', 'fid', 'kid', '--feature-space', 'randomconv',
            '--diversity-networks', '0', '--out', out)
    result = run_tool(*args)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "both sets read at 64x64, the generated images' size" in result.stdout
    assert 'sets are read at different sizes' not in result.stderr
    one = json.loads(out.read_text())
    assert one['generated_size'] == one['real_size'] == [64, 64]
    result = run_tool(*args, '--per-set-size')
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'each set read at its own size (--per-set-size): generated 64x64, real 128x128' \
        in result.stdout
    assert 'warning: the sets are read at different sizes' in result.stderr
    per_set = json.loads(out.read_text())
    assert per_set['real_size'] == [128, 128]
    assert one['fd_randomconv'] < 1e-4 * per_set['fd_randomconv']
    assert abs(one['kd_randomconv']) < per_set['kd_randomconv']
    result = run_tool(*args, '--per-set-size', '--size', '32', '32')
    assert result.returncode != 0 and 'not allowed with argument' in result.stderr


def test_eval_tool_reads_both_sets_at_the_networks_input_size(tmp_path):
    small, large = write_one_set_at_two_sizes(tmp_path, count=4)
    out = tmp_path / 'metrics.json'
    result = run_tool(small, large, '--metrics', 'mmd', '--feature-space', 'random_inception',
                      '--diversity-networks', '0', '--batch-size', '2', '--out', out)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'both sets read at 299x299, the input size of the random_inception network' \
        in result.stdout
    data = json.loads(out.read_text())
    assert data['generated_size'] == data['real_size'] == [299, 299]
    # Not a terminal: the progress is a line per batch, never carriage returns.
    assert '\r' not in result.stdout and '2/4 images' in result.stdout \
        and '4/4 images' in result.stdout


def test_eval_tool_warns_of_shared_files_and_refuses_a_truncated_jpeg(tmp_path):
    real = write_folder(tmp_path / 'real', 6, size=(30, 30))
    fake = write_folder(tmp_path / 'fake', 6, shift=40, seed=1)
    (fake / 'shared.png').symlink_to(next(real.iterdir()))
    result = run_tool(fake, real, '--metrics', 'mmd', '--feature-space', 'statistics',
                      '--diversity-networks', '0')
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'warning: 1 files are in both' in result.stderr
    (fake / 'shared.png').unlink()
    noise = np.random.default_rng(0).integers(0, 256, (30, 30, 3), dtype=np.uint8)
    whole = cv2.imencode('.jpg', noise)[1].tobytes()
    (fake / 'cut.jpg').write_bytes(whole[:len(whole) * 2 // 3])
    result = run_tool(fake, real, '--metrics', 'mmd', '--feature-space', 'statistics')
    assert result.returncode != 0 and 'Traceback' not in result.stderr
    assert f'image {fake / "cut.jpg"} is a truncated JPEG' in result.stderr


def test_real_vs_generated_in_the_metric_and_the_tool(tmp_path):
    real = write_folder(tmp_path / 'real', 16, shift=60, seed=2)
    other = write_folder(tmp_path / 'other', 16, seed=4)
    metric = GenerationMetric(real=str(real), feature_space='statistics',
                              measures=('kid', 'real_vs_generated'), c2st_seeds=(0, ),
                              c2st_steps=100)
    images = [torch.from_numpy(cv2.imread(str(p))[..., ::-1].copy()).permute(2, 0, 1)
              for p in sorted(other.iterdir())]
    metric.process(None, [dict(gen_img=dict(data=image)) for image in images])
    assert metric.compute_metrics(metric.results)['real_vs_generated_accuracy'] > 0.9
    result = run_tool(other, real, '--metrics', 'kid', '--feature-space', 'statistics',
                      '--real-vs-generated', '--c2st-seeds', '1', '--diversity-networks', '0',
                      '--out', tmp_path / 'metrics.json')
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads((tmp_path / 'metrics.json').read_text())
    assert data['real_vs_generated_accuracy'] > 0.9
