"""End-to-end runs of tools/train.py, tools/test.py and tools/dist_train.sh on the toy config.

Each run is a real subprocess with a smaller network and a few iterations, so the whole module
stays within a couple of minutes on two CPU cores.
"""
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'configs/stage1/stage1_toy_32px.py'
SMALL = [
    'model.velocity_net.base_channels=16', 'model.velocity_net.num_heads=2',
    'model.solver.num_steps=4',
    'train_dataloader.dataset.num_samples=24', 'train_dataloader.batch_size=4',
    'val_dataloader.dataset.num_samples=4', 'val_dataloader.batch_size=4',
    'test_dataloader.dataset.num_samples=4', 'test_dataloader.batch_size=4',
    'default_hooks.logger.interval=1',
]


def run_tool(args, work_dir, extra_options=(), timeout=300, env=None, **kwargs):
    command = [sys.executable, *args, '--work-dir', str(work_dir), '--cfg-options', *SMALL,
               *extra_options]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          env=env or os.environ.copy(), **kwargs)


def train_options(max_iters, interval):
    return [f'train_cfg.max_iters={max_iters}', f'train_cfg.val_interval={interval}',
            f'default_hooks.checkpoint.interval={interval}',
            f'custom_hooks.1.interval={interval}']


def checkpoint_weights(path):
    state = torch.load(path, map_location='cpu', weights_only=False)
    return state['state_dict'], state.get('ema_state_dict', {})


def assert_same_weights(a, b):
    for left, right in zip(a, b):
        assert left.keys() == right.keys()
        for key in left:
            assert torch.equal(left[key], right[key]), f'{key} differs'


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('toy_train')
    result = run_tool(['tools/train.py', CONFIG], work_dir, train_options(6, 3))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return work_dir, result


def test_train_writes_checkpoints_logs_and_sample_grids(trained):
    work_dir, result = trained
    assert (work_dir / 'iter_6.pth').is_file()
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith('iter_6.pth')
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'loss_fm:' in log and 'eta:' in log
    assert 'gen/fm_loss:' in log and 'gen/kd_randomconv:' in log  # validation ran
    grids = sorted(work_dir.glob('*/vis_data/vis_image/samples_*.png'))
    assert [g.name for g in grids] == ['samples_3.png', 'samples_6.png']
    assert list(work_dir.glob('*/vis_data/events.out.tfevents.*')), 'no TensorBoard events'


def test_test_tool_evaluates_and_writes_generated_pairs(trained, tmp_path):
    work_dir, _ = trained
    out = tmp_path / 'synthetic'
    result = run_tool(['tools/test.py', CONFIG, str(work_dir / 'iter_6.pth'), '--out', str(out)],
                      tmp_path / 'test_run')
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'gen/fm_loss' in result.stdout + result.stderr
    images = sorted(p.name for p in (out / 'images').glob('*.png'))
    masks = sorted(p.name for p in (out / 'masks').glob('*.png'))
    assert len(images) == 4 and images == masks

    from alignflow.datasets import PolypDataset
    dataset = PolypDataset(data_root=str(out), pipeline=[])
    assert len(dataset) == 4


def write_real_folder(folder, num=3):
    import cv2
    import numpy as np
    for sub in ('images', 'masks'):
        (folder / sub).mkdir(parents=True)
    for i in range(num):
        cv2.imwrite(str(folder / 'images' / f'case{i}.jpg'), np.full((40, 40, 3), 90, np.uint8))
        cv2.imwrite(str(folder / 'masks' / f'case{i}.png'), np.zeros((40, 40), np.uint8))
    return {p: p.read_bytes() for p in folder.rglob('*') if p.is_file()}


def test_test_tool_never_writes_into_data_and_never_mixes(trained, tmp_path):
    work_dir, _ = trained
    checkpoint = str(work_dir / 'iter_6.pth')
    real = tmp_path / 'real'
    before = write_real_folder(real)
    # The folder the metric reads as real images: refused, even with --overwrite.
    result = run_tool(['tools/test.py', CONFIG, checkpoint, '--out', str(real), '--overwrite'],
                      tmp_path / 'run1', [f'test_evaluator.1.real={real}'])
    assert result.returncode != 0 and 'which this run reads as data' in result.stderr
    assert {p: p.read_bytes() for p in real.rglob('*') if p.is_file()} == before
    # A folder holding someone else's files: refused without --overwrite.
    notes = tmp_path / 'notes'
    notes.mkdir()
    (notes / 'todo.txt').write_text('mine')
    result = run_tool(['tools/test.py', CONFIG, checkpoint, '--out', str(notes)], tmp_path / 'r2')
    assert result.returncode != 0 and 'did not write' in result.stderr
    assert sorted(p.name for p in notes.iterdir()) == ['todo.txt']


def test_test_tool_loads_weights_only_even_where_the_config_says_resume(trained, tmp_path):
    """A resumed run's folder holds its config with resume=True; tools/test.py on it, with a
    checkpoint that holds weights only (averaged, converted), evaluates those weights."""
    work_dir, _ = trained
    weights = tmp_path / 'weights_only.pth'
    torch.save({'state_dict': checkpoint_weights(work_dir / 'iter_6.pth')[0]}, weights)
    result = run_tool(['tools/test.py', CONFIG, str(weights)], tmp_path / 'test', ['resume=True'])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'gen/fm_loss' in result.stdout + result.stderr


def test_test_tool_refuses_a_checkpoint_of_another_model(trained, tmp_path):
    """mmengine loads load_from non-strictly: a checkpoint with none of the model's keys (here
    a stage-2-shaped one, its keys under generator.) would be tested as the model as built."""
    work_dir, _ = trained
    other = tmp_path / 'stage2_shaped.pth'
    weights = checkpoint_weights(work_dir / 'iter_6.pth')[0]
    torch.save({'state_dict': {f'generator.{k}': v for k, v in weights.items()}}, other)
    result = run_tool(['tools/test.py', CONFIG, str(other)], tmp_path / 'test')
    assert result.returncode != 0
    assert f'checkpoint {other} (from the checkpoint argument of tools/test.py) has none of ' \
        f'the weights of the MaskConditionedFlow of {CONFIG}' in result.stderr
    assert 'unexpected generator.' in result.stderr and 'model.stage1_checkpoint' in result.stderr
    assert 'gen/fm_loss' not in result.stdout + result.stderr


def test_an_average_of_a_runs_checkpoints_tests_but_never_resumes(trained, tmp_path):
    """The documented path: tools/analysis/average_checkpoints.py on a run's kept checkpoints,
    then tools/test.py on the mean; tools/train.py --resume refuses it (no optimizer state)."""
    work_dir, _ = trained
    mean = tmp_path / 'mean_3_6.pth'
    command = [sys.executable, 'tools/analysis/average_checkpoints.py', str(mean),
               str(work_dir / 'iter_3.pth'), str(work_dir / 'iter_6.pth')]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    result = run_tool(['tools/test.py', CONFIG, str(mean)], tmp_path / 'test')
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'gen/fm_loss' in result.stdout + result.stderr
    result = run_tool(['tools/train.py', CONFIG, '--resume', str(mean)], tmp_path / 'resume',
                      train_options(9, 3))
    assert result.returncode != 0
    assert 'is an average of 2 checkpoints' in result.stderr
    assert 'iter_6.pth' in result.stderr and 'load_from=' in result.stderr
    assert not list((tmp_path / 'resume').glob('iter_*.pth'))


def test_damaged_checkpoints_are_named_with_the_flag_they_came_from(trained, tmp_path):
    work_dir, _ = trained
    good = (work_dir / 'iter_6.pth').read_bytes()
    bad = tmp_path / 'iter_6.pth'
    bad.write_bytes(good[:len(good) // 2])  # what a kill during the save used to leave
    result = run_tool(['tools/test.py', CONFIG, str(bad)], tmp_path / 'test')
    assert result.returncode != 0
    assert 'iter_6.pth is truncated' in result.stderr
    assert 'from the checkpoint argument of tools/test.py' in result.stderr
    result = run_tool(['tools/train.py', CONFIG, '--resume', str(bad)], tmp_path / 'train')
    assert result.returncode != 0 and '(from --resume)' in result.stderr
    result = run_tool(['tools/train.py', CONFIG], tmp_path / 'train2', [f'load_from={bad}'])
    assert result.returncode != 0 and '(from load_from)' in result.stderr
    assert not list(work_dir.glob('.*.tmp'))  # the atomic saves left no temporary behind


def test_test_tool_names_a_missing_checkpoint(tmp_path):
    result = run_tool(['tools/test.py', CONFIG, str(tmp_path / 'nope.pth')], tmp_path)
    assert result.returncode != 0 and 'nope.pth does not exist' in result.stderr


def test_resume_after_kill_ends_with_the_same_weights(trained, tmp_path):
    reference_dir, _ = trained
    work_dir = tmp_path / 'killed'
    command = [sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work_dir),
               '--cfg-options', *SMALL, *train_options(6, 3)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 240
        while not (work_dir / 'last_checkpoint').exists() and time.time() < deadline:
            assert process.poll() is None, 'training ended before it could be killed'
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert not (work_dir / 'iter_6.pth').exists(), 'the run finished before the kill'

    result = run_tool(['tools/train.py', CONFIG, '--resume'], work_dir, train_options(6, 3))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'Auto resumed from the latest checkpoint' in result.stdout + result.stderr
    assert_same_weights(checkpoint_weights(reference_dir / 'iter_6.pth'),
                        checkpoint_weights(work_dir / 'iter_6.pth'))


def test_amp_training_runs_in_bfloat16_on_cpu(tmp_path):
    result = run_tool(['tools/train.py', CONFIG, '--amp'], tmp_path, train_options(2, 2))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "'type': 'AutoAmpOptimWrapper'" in (result.stdout + result.stderr) or \
        'AutoAmpOptimWrapper' in next(tmp_path.glob('*/vis_data/config.py')).read_text()
    assert (tmp_path / 'iter_2.pth').is_file()


def test_missing_data_root_names_the_folder(tmp_path):
    command = [sys.executable, 'tools/train.py', 'configs/stage1/stage1_polyp_64px.py',
               '--work-dir', str(tmp_path), '--cfg-options',
               f'train_dataloader.dataset.data_root={tmp_path / "no_such_dir"}',
               'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False']
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert 'no_such_dir' in result.stderr and 'data_root' in result.stderr


def test_an_option_the_config_does_not_have_is_refused(tmp_path):
    result = run_tool(['tools/train.py', CONFIG], tmp_path, ['train_cfg.max_iter=5'])
    assert result.returncode != 0 and not any(tmp_path.iterdir())
    assert "train_cfg has no key 'max_iter'; did you mean train_cfg.max_iters" in result.stderr


def test_dist_train_runs_two_gloo_processes(tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(29500 + os.getpid() % 1000))
    command = ['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', str(tmp_path),
               '--cfg-options', *SMALL, *train_options(2, 2)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / 'iter_2.pth').is_file()
    log = next(tmp_path.glob('*/*.log')).read_text()
    assert 'Distributed launcher: pytorch' in log and 'Distributed training: True' in log
    assert "dist_cfg: {'backend': 'gloo'}" in log and 'GPU number: 2' in log


ALIGN_CONFIG = 'configs/stage2/stage2_toy_5shot_32px.py'
ALIGN_SMALL = [
    'model.generator.velocity_net.base_channels=16', 'model.generator.velocity_net.num_heads=2',
    'model.num_steps=4', 'model.grad_last_k=2',
    'reference_split.folder.num_samples=12', 'reference_split.num_heldout=4',
    'train_dataloader.dataset.num_samples=8', 'train_dataloader.batch_size=4',
    'val_dataloader.dataset.num_samples=4', 'val_dataloader.batch_size=4',
    'model.generator.solver.num_steps=4', 'default_hooks.logger.interval=1',
    'train_cfg.max_iters=4', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
    'custom_hooks.0.floor_factor=1.0', 'custom_hooks.0.min_iters=100',
    'custom_hooks.0.window=200',  # watched (and logged) from the first iteration, never stops
    'custom_hooks.1.interval=2', 'val_evaluator.c2st_steps=30',
]


def test_alignment_config_trains_from_a_stage1_checkpoint(trained, tmp_path):
    stage1_dir, _ = trained
    command = [sys.executable, 'tools/train.py', ALIGN_CONFIG, '--work-dir', str(tmp_path),
               '--cfg-options', *ALIGN_SMALL,
               f'model.stage1_checkpoint={stage1_dir / "iter_6.pth"}']
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = next(tmp_path.glob('*/*.log')).read_text()
    for key in ('loss_reward:', 'loss_fm:', 'loss_anchor:', 'hf_energy:', 'reference floor',
                'matched_reward:', 'gen/kd_randomconv:', 'gen/mmd_randomconv:',
                'gen/c2st_target_share:', 'gen/c2st_accuracy:'):
        assert key in log, key
    assert log.count('gen/kd_randomconv:') == 3  # before training, at 2 and at 4
    references = json.loads((tmp_path / 'reference_split.json').read_text())['references']
    assert len(references) == 5 and all(name.endswith('.png') for name in references)
    checkpoint = tmp_path / 'iter_4.pth'
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)['state_dict']
    assert state and all(key.startswith('generator.') for key in state)  # no anchor/extractor
    # The aligned generator samples through tools/test.py, with fewer solver steps on request.
    out = tmp_path / 'pairs'
    command = [sys.executable, 'tools/test.py', ALIGN_CONFIG, str(checkpoint), '--work-dir',
               str(tmp_path / 'test'), '--out', str(out), '--num-steps', '2', '--cfg-options',
               *ALIGN_SMALL, 'test_dataloader.dataset.num_samples=4',
               f'model.stage1_checkpoint={stage1_dir / "iter_6.pth"}']
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'num_steps=2' in next((tmp_path / 'test').glob('*/*.log')).read_text()
    assert len(list((out / 'images').iterdir())) == 4 == len(list((out / 'masks').iterdir()))
    # Given its own stage-1 checkpoint, the stage-2 config tests stage 1 (the sweep's stage-1
    # row); another stage-1 checkpoint would be silently ignored by mmengine, so it is refused.
    for given, works in ((stage1_dir / 'iter_6.pth', True), (stage1_dir / 'iter_3.pth', False)):
        command = [sys.executable, 'tools/test.py', ALIGN_CONFIG, str(given), '--work-dir',
                   str(tmp_path / f'test_{given.stem}'), '--cfg-options', *ALIGN_SMALL,
                   'test_dataloader.dataset.num_samples=4',
                   f'model.stage1_checkpoint={stage1_dir / "iter_6.pth"}']
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
        assert (result.returncode == 0) == works, result.stdout[-3000:] + result.stderr[-3000:]
        output = result.stdout + result.stderr
        assert ('testing stage 1' in output and 'gen/c2st_target_share' in output) == works
        assert ('has none of the weights of the FewShotAlignment' in output) != works
    check_health_check_validation(tmp_path)


def check_health_check_validation(run_dir):
    """The health-check validation scores every validation of a finished run that left a
    checkpoint (stage 1 for the one before training) against the run's references, next to its
    logged held-out share, and a second invocation reuses what the first stored."""
    spec = importlib.util.spec_from_file_location(
        'health_check_validation', REPO / 'tools' / 'analysis' / 'health_check_validation.py')
    validation = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(validation)
    out = run_dir / 'health_check_validation.json'
    validation.main([str(run_dir), '--out', str(out)])
    rows = json.loads(out.read_text())
    assert [row['step'] for row in rows] == [0, 2, 4]
    assert rows[0]['checkpoint'].endswith('iter_6.pth')  # stage 1
    logged = validation.logged_shares(str(run_dir))
    for row in rows:
        assert row['heldout_share'] == logged[row['step']]
        assert 0 <= row['refcheck']['c2st_target_share'] <= 1
    scores = [row['refcheck']['c2st_target_share'] for row in rows]
    validation.reference_check = None  # a second invocation measures nothing again
    report = validation.report(rows)
    validation.main([str(run_dir), '--out', str(out)])
    assert [row['refcheck']['c2st_target_share'] for row in json.loads(out.read_text())] == scores
    assert report.count(f'| {os.path.normpath(run_dir)} |') == 3
    assert 'held-out share below 25%' in report


def test_alignment_without_stage1_checkpoint_says_which_command_makes_it(tmp_path):
    command = [sys.executable, 'tools/train.py', ALIGN_CONFIG, '--work-dir', str(tmp_path),
               '--cfg-options', *ALIGN_SMALL, f'model.stage1_checkpoint={tmp_path / "no.pth"}']
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert 'python tools/train.py configs/stage1/stage1_toy_32px.py' in result.stderr


def test_alignment_trains_with_amp(trained, tmp_path):
    stage1_dir, _ = trained
    command = [sys.executable, 'tools/train.py', ALIGN_CONFIG, '--amp', '--work-dir',
               str(tmp_path), '--cfg-options', *ALIGN_SMALL, 'train_cfg.max_iters=2',
               f'model.stage1_checkpoint={stage1_dir / "iter_6.pth"}']
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = next(tmp_path.glob('*/*.log')).read_text()
    assert "type='AutoAmpOptimWrapper'" in log and 'loss_reward:' in log
    assert (tmp_path / 'iter_2.pth').is_file()


MASK_CONFIG = 'configs/maskflow/maskflow_toy_32px.py'


def test_mask_flow_config_trains_and_writes_mask_grids(tmp_path):
    result = run_tool(['tools/train.py', MASK_CONFIG], tmp_path, train_options(4, 4))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / 'iter_4.pth').is_file()
    log = next(tmp_path.glob('*/*.log')).read_text()
    for key in ('loss_fm:', 'gen/fm_loss:', 'mask/rejected:', 'mask/fg_fraction_real:',
                'mask/diversity_real:'):
        assert key in log, key
    assert [g.name for g in tmp_path.glob('*/vis_data/vis_image/samples_*.png')] == [
        'samples_4.png']
    # Its weights share most keys with an image generator's: tested under an image config
    # the run's saved model type refuses it (the key check alone passed a half-loaded model).
    tested = run_tool(['tools/test.py', CONFIG, str(tmp_path / 'iter_4.pth')], tmp_path / 't')
    assert tested.returncode != 0
    assert 'was saved by a MaskFlow run' in tested.stderr and 'MaskConditionedFlow' in \
        tested.stderr


def test_sweep_scores_mask_adherence_of_stage1_and_each_final_checkpoint(
        trained, tmp_path, monkeypatch):
    import argparse

    from alignflow.datasets import write_toy_dataset
    from alignflow.protocol.sweep import AlignmentSweep
    from alignflow.registry import MODELS
    from alignflow.utils import register_all_modules
    from mmengine.config import Config, DictAction
    register_all_modules()
    seg_config = 'configs/segmentation/unet_polyp_32.py'
    torch.manual_seed(0)
    segmentor = tmp_path / 'segmentor.pth'
    torch.save({'state_dict': MODELS.build(Config.fromfile(REPO / seg_config).model)
                .state_dict()}, segmentor)
    masks = write_toy_dataset(tmp_path / 'heldout_source', 3, 32, 'source', seed=9)
    target = write_toy_dataset(tmp_path / 'heldout_target', 2, 32, 'target', seed=8)
    stage1_dir, _ = trained
    root = tmp_path / 'sweep'
    monkeypatch.chdir(REPO)
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options', *ALIGN_SMALL, 'model.stage1_checkpoint='
                                 f'{stage1_dir / "iter_6.pth"}']).cfg_options

    def sweep(adherence, **kwargs):
        return AlignmentSweep(ALIGN_CONFIG, str(root), shots=[5], seeds=[0],
                              cfg_options=options, adherence=adherence,
                              log=lambda line: None, **kwargs).run()

    adherence = (seg_config, str(segmentor), str(masks))
    sweep(adherence, adherence_target=str(target))
    run = json.loads((root / 'summary.json').read_text())['5'][0]
    stage1 = json.loads((root / 'stage1' / 'adherence' / 'artefact.json').read_text())
    final = json.loads((root / 'k5_seed0' / 'adherence' / 'artefact.json').read_text())
    assert stage1['images'] == final['images'] == 3
    assert final['checkpoint'].endswith('iter_4.pth')
    assert stage1['checkpoint'].endswith('iter_6.pth')
    assert run['adherence'] == final['dice'] and run['adherence_stage1'] == stage1['dice']
    assert len(list((root / 'k5_seed0' / 'adherence' / 'pairs' / 'images').iterdir())) == 3
    assert 'lesion Dice (stage 1 / after)' in (root / 'summary.md').read_text()
    # --adherence-target: both models paint the target's 2 masks (never into its folder), and
    # the look-matched change is computed from the four figures.
    on_target = json.loads((root / 'k5_seed0' / 'adherence_target' / 'artefact.json')
                           .read_text())
    stage1_on_target = json.loads((root / 'stage1' / 'adherence_target' / 'artefact.json')
                                  .read_text())
    assert on_target['images'] == stage1_on_target['images'] == 2
    assert run['adherence_target'] == on_target['dice']
    assert run['adherence_target_stage1'] == stage1_on_target['dice']
    assert sorted(p.name for p in target.iterdir()) == ['images', 'masks']
    scale = (run['adherence_stage1'], run['adherence_real_source'], run['adherence_real_target'])
    expected = ((run['adherence_target'] / scale[2]) / (scale[0] / scale[1]) - 1
                if min(scale) > 0 else None)  # None: the random segmentor finds no lesion
    assert run['adherence_look_matched'] == (pytest.approx(expected) if expected else expected)
    assert "change if the look is the target's" in (root / 'summary.md').read_text()
    cached = (root / 'k5_seed0' / 'adherence' / 'artefact.json').stat().st_mtime_ns
    sweep(adherence)  # finished runs and their scores are reused
    assert (root / 'k5_seed0' / 'adherence' / 'artefact.json').stat().st_mtime_ns == cached
    with pytest.raises(FileNotFoundError, match='needs a masks/ subfolder'):
        sweep((seg_config, str(segmentor), str(tmp_path)))


def test_test_tool_out_refuses_a_mask_generator_before_writing(tmp_path):
    """--out with a mask generator's config raised a KeyError after leaving empty images/ and
    masks/ behind; now one message, nothing written (--debug shows the traceback)."""
    checkpoint = tmp_path / 'mask.pth'
    torch.save({'state_dict': {}}, checkpoint)
    out = tmp_path / 'pairs'
    command = ['tools/test.py', 'configs/maskflow/maskflow_toy_32px.py', str(checkpoint),
               '--out', str(out)]
    env = dict(os.environ, ALIGNFLOW_CACHE=str(tmp_path / 'cache'))
    result = run_tool(command, tmp_path / 'work', env=env)
    assert result.returncode == 1 and not out.exists()
    assert 'builds a MaskFlow, which paints no images' in result.stderr
    assert '--mask-config configs/maskflow/maskflow_toy_32px.py' in result.stderr
    assert 'Traceback' not in result.stderr
    assert 'Traceback' in (tmp_path / 'cache' / 'logs' / 'test.log').read_text()
    result = run_tool(command + ['--debug'], tmp_path / 'work', env=env)
    assert result.returncode == 1 and 'Traceback' in result.stderr and not out.exists()


def test_train_tool_names_a_loop_argument_typo(tmp_path):
    config = tmp_path / 'typo.py'
    config.write_text(f"_base_ = ['{REPO / CONFIG}']\n"
                      "train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iter=2)\n")
    result = run_tool(['tools/train.py', str(config)], tmp_path / 'work',
                      env=dict(os.environ, ALIGNFLOW_CACHE=str(tmp_path / 'cache')))
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert "IterBasedTrainLoop an argument 'max_iter'" in result.stderr
    assert 'did you mean max_iters' in result.stderr
