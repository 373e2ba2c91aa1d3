import itertools
import json
import random
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from alignflow.engine import HealthCheckHook, RNGStateHook, WriteGeneratedPairsHook, image_grid
from alignflow.engine.hooks import health_check_hook


def test_image_grid_tiles_rows_and_columns():
    rows = [torch.full((3, 3, 4, 5), v, dtype=torch.uint8) for v in (10, 20)]
    grid = image_grid(rows, padding=1)
    assert grid.shape == (2 * 5 + 1, 3 * 6 + 1, 3)
    assert grid[1, 1, 0] == 10 and grid[6, 1, 0] == 20 and grid[0, 0, 0] == 255


def test_rng_state_hook_restores_states_before_the_first_resumed_iteration():
    hook = RNGStateHook()
    checkpoint = {}
    torch.manual_seed(3)
    np.random.seed(3)
    random.seed(3)
    hook.before_save_checkpoint(None, checkpoint)
    expected = (torch.rand(3), np.random.rand(3), random.random())
    torch.manual_seed(99)
    np.random.seed(99)
    random.seed(99)
    hook.after_load_checkpoint(SimpleNamespace(_resume=True), checkpoint)
    hook.before_train_iter(None, 0)
    assert torch.equal(torch.rand(3), expected[0])
    assert np.array_equal(np.random.rand(3), expected[1])
    assert random.random() == expected[2]
    hook.before_train_iter(None, 1)  # restores only once
    assert not torch.equal(torch.rand(3), expected[0])


def test_rng_state_hook_ignores_plain_loading():
    hook = RNGStateHook()
    checkpoint = {}
    hook.before_save_checkpoint(None, checkpoint)
    hook.after_load_checkpoint(SimpleNamespace(_resume=False), checkpoint)
    assert hook._pending is None


def test_write_generated_pairs_hook_writes_dataset_layout(tmp_path):
    sample = SegDataSample(metainfo=dict(seg_map_path='/data/masks/case7.png'))
    label = torch.zeros(1, 8, 8, dtype=torch.uint8)
    label[0, 2:5, 2:5] = 1
    sample.gt_sem_seg = PixelData(data=label)
    rgb = torch.zeros(3, 8, 8, dtype=torch.uint8)
    rgb[0] = 200  # red
    sample.set_field(PixelData(data=rgb), 'gen_img')
    WriteGeneratedPairsHook(out_dir=str(tmp_path)).after_test_iter(None, 0, outputs=[sample])
    image = cv2.imread(str(tmp_path / 'images' / 'case7.png'))
    mask = cv2.imread(str(tmp_path / 'masks' / 'case7.png'), cv2.IMREAD_UNCHANGED)
    assert image[0, 0].tolist() == [0, 0, 200]  # BGR on disk
    assert mask.ndim == 2 and set(np.unique(mask)) == {0, 255}
    assert sorted(p.name for p in tmp_path.rglob('*') if p.is_file()) == ['case7.png', 'case7.png']


_HUBS = itertools.count()


@pytest.fixture(autouse=True)
def statistics(monkeypatch):
    """The stopping rule's statistics read off the fake reward of :func:`_alignment_runner`."""
    from alignflow.engine.hooks import alignment_monitor_hook as module
    monkeypatch.setattr(module, 'reference_floor', lambda reward, *args: reward.floor)
    monkeypatch.setattr(module, 'matched_reward', lambda reward, *args: next(reward.matched))


def _alignment_runner(floor, iteration=30, matched=()):
    """A runner whose reward's matched reward takes the ``matched`` values in turn."""
    reward = SimpleNamespace(floor=floor, matched=iter(matched), last_features=None,
                             num_references=5)
    anchor = SimpleNamespace(loss_name='loss_anchor', loss_weight=2.0)
    scalars = {}
    hub = MessageHub(f'alignment_monitor_{next(_HUBS)}')
    hub.update_scalar = scalars.__setitem__
    hub.scalars = scalars
    return SimpleNamespace(model=SimpleNamespace(reward=reward, losses=[anchor]),
                           iter=iteration, message_hub=hub,
                           train_loop=SimpleNamespace(_max_iters=1000))


def test_alignment_monitor_ends_training_below_the_reference_floor():
    from alignflow.engine import AlignmentMonitorHook
    hook = AlignmentMonitorHook(validate_before_train=False, window=2, min_iters=10)
    runner = _alignment_runner(floor=0.5, matched=(0.9, 0.3, 0.2))
    hook.floor = 0.5
    outputs = dict(loss_reward=torch.tensor(0.01))  # the training reward itself is not used
    for expected in (0.9, 0.3):  # running means 0.9 and 0.6: above the floor
        hook.after_train_iter(runner, 0, outputs=outputs)
        assert runner.train_loop._max_iters == 1000
        assert runner.message_hub.scalars['train/matched_reward'] == pytest.approx(expected)
    hook.after_train_iter(runner, 0, outputs=outputs)
    assert runner.train_loop._max_iters == 31  # mean 0.25: this iteration becomes the last
    stop = runner.message_hub.get_info('alignment_stop')
    assert stop['iter'] == 31 and 'below 1.0 x reference floor' in stop['reason']


def test_alignment_monitor_resumes_a_stopped_run_as_finished():
    """Killed after the stop's checkpoint: the resumed run trains nothing more."""
    from alignflow.engine import AlignmentMonitorHook
    stopped = _alignment_runner(floor=0.5, iteration=30)
    stopped.message_hub.update_info('alignment_stop', dict(iter=31, reason='floor'))
    saved = stopped.message_hub.state_dict()  # what the checkpoint keeps
    resumed = _alignment_runner(floor=0.5, iteration=31)  # reference_floor would not be used
    resumed.message_hub.load_state_dict(saved)
    hook = AlignmentMonitorHook(validate_before_train=True)
    hook.before_train(resumed)
    assert resumed.train_loop._max_iters == 31 and hook.floor is None
    fresh = _alignment_runner(floor=0.5, iteration=0)
    fresh.val_loop, fresh.train_dataloader = None, SimpleNamespace(batch_size=8)
    hook.before_train(fresh)
    assert fresh.train_loop._max_iters == 1000 and hook.floor == 0.5


def test_alignment_monitor_only_scores_batches_that_can_matter():
    from alignflow.engine import AlignmentMonitorHook
    hook = AlignmentMonitorHook(validate_before_train=False, window=5, min_iters=20)
    hook.floor = 0.5
    early = _alignment_runner(floor=0.5, iteration=3, matched=())  # a call would raise
    hook.after_train_iter(early, 0, outputs=dict(loss_reward=torch.tensor(0.01)))
    assert 'train/matched_reward' not in early.message_hub.scalars


def test_alignment_monitor_respects_min_iters_and_bounds_drift():
    from alignflow.engine import AlignmentMonitorHook
    hook = AlignmentMonitorHook(validate_before_train=False, floor_factor=None, max_drift=0.1,
                                min_iters=10)
    early = _alignment_runner(floor=None, iteration=3)
    hook.after_train_iter(early, 0, outputs=dict(loss_reward=torch.tensor(0.1),
                                                 loss_anchor=torch.tensor(1.0)))
    assert early.train_loop._max_iters == 1000
    runner = _alignment_runner(floor=None)
    hook.after_train_iter(runner, 0, outputs=dict(loss_reward=torch.tensor(0.1),
                                                  loss_anchor=torch.tensor(0.1)))
    assert runner.train_loop._max_iters == 1000  # drift 0.05 per unit weight
    hook.after_train_iter(runner, 0, outputs=dict(loss_reward=torch.tensor(0.1),
                                                  loss_anchor=torch.tensor(0.4)))
    assert runner.train_loop._max_iters == 31  # drift 0.2 > 0.1


def _validated(hook, runner, iteration, **figures):
    runner.iter = iteration
    hook.after_val_epoch(runner, {f'refcheck/{k}': v for k, v in figures.items()})


def test_health_check_hook_judges_against_stage1_and_writes_the_verdict(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(health_check_hook, 'print_log', lambda msg, **_: logged.append(msg))
    runner = SimpleNamespace(message_hub=MessageHub.get_instance('health_check_test'),
                             work_dir=str(tmp_path), iter=0,
                             model=SimpleNamespace(reward=SimpleNamespace(num_references=5)))
    hook = HealthCheckHook()
    stage1 = dict(c2st_target_share=0.0, c2st_accuracy=0.9, hf_energy_ratio=1.5,
                  diversity_ratio=1.0)
    _validated(hook, runner, 0, **stage1)
    assert not (tmp_path / 'health_check.json').exists()
    # A reward met by a blur: called reference, but with a third of the texture.
    _validated(hook, runner, 100, **dict(stage1, c2st_target_share=0.5, hf_energy_ratio=0.3))
    record = json.loads((tmp_path / 'health_check.json').read_text())
    assert record['verdict'] == 'did not take' and record['iter'] == 100
    assert record['stage1'] == stage1 and record['figures']['hf_energy_ratio'] == 0.3
    _validated(hook, runner, 200, **dict(stage1, c2st_target_share=0.5, hf_energy_ratio=1.1))
    hook.after_train(runner)
    record = json.loads((tmp_path / 'health_check.json').read_text())
    assert record['verdict'] == 'took' and record['iter'] == 200
    out = '\n'.join(logged)
    assert 'iter 100: alignment DID NOT TAKE' in out and 'smoothed' in out
    assert 'Health check from the 5 references alone' in out and 'alignment TOOK' in out


def test_health_check_hook_without_reference_figures_has_no_verdict(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(health_check_hook, 'print_log', lambda msg, **_: logged.append(msg))
    runner = SimpleNamespace(message_hub=MessageHub.get_instance('health_check_none'),
                             work_dir=str(tmp_path), iter=100, model=SimpleNamespace())
    hook = HealthCheckHook()
    hook.after_val_epoch(runner, {'gen/kd_randomconv': 0.1})
    hook.after_train(runner)
    assert 'no verdict' in logged[0]
    assert not (tmp_path / 'health_check.json').exists()
