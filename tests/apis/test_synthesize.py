"""tools/synthesize.py and alignflow.apis.synthesize on tiny generators."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from alignflow.apis.generators import load_image_generator, load_mask_generator
from alignflow.apis.synthesize import (DatasetMasks, GeneratedMasks, SynthesisSettings,
                                       synthesize)
from alignflow.datasets import PolypDataset, write_toy_dataset
from alignflow.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
NET = dict(type='ConditionalUNet', base_channels=8, channel_mults=(1, 2), num_res_blocks=1,
           attention_levels=(), num_heads=1)
IMAGE_MODEL = dict(type='MaskConditionedFlow', velocity_net=NET,
                   solver=dict(type='EulerSolver', num_steps=2))
MASK_MODEL = dict(type='MaskFlow', velocity_net=NET, solver=dict(type='EulerSolver', num_steps=2),
                  postprocess=[dict(type='Binarize', threshold=0.5)])


def write_model(folder: Path, name: str, model: dict, seed: int):
    torch.manual_seed(seed)
    net = MODELS.build(model)
    for param in net.parameters():  # random, not the zero-initialised output layer
        param.data.normal_(0, 0.2)
    config, checkpoint = folder / f'{name}.py', folder / f'{name}.pth'
    config.write_text(f'img_size = 16\nmodel = {model!r}\n')
    torch.save(dict(state_dict=net.state_dict()), checkpoint)
    return str(config), str(checkpoint)


@pytest.fixture(scope='module')
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp('models')
    return dict(image=write_model(folder, 'image', IMAGE_MODEL, 0),
                mask=write_model(folder, 'mask', MASK_MODEL, 1))


def build(models, seed=0, max_retries=20, chain=None):
    from mmengine.config import Config
    image_cfg, image_ckpt = models['image']
    generator = load_image_generator(Config.fromfile(image_cfg).model, image_ckpt)
    mask_cfg = Config.fromfile(models['mask'][0]).model
    if chain is not None:
        mask_cfg.postprocess = chain
    mask_model = load_mask_generator(mask_cfg, models['mask'][1])
    return generator, GeneratedMasks(mask_model, seed, (16, 16), max_retries)


def run(models, out, num=7, batch_size=3, seed=0, **kwargs):
    generator, masks = build(models, seed)
    settings = SynthesisSettings(num=num, seed=seed, size=(16, 16), batch_size=batch_size)
    return synthesize(str(out), generator, masks, settings, dict(image='tiny'),
                      progress=False, **kwargs)


def files(out: Path):
    return {p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob('*.png'))}


def test_writes_exactly_n_traceable_pairs_the_dataset_classes_read(models, tmp_path):
    out = tmp_path / 'syn'
    assert run(models, out) == dict(written=7, skipped=0, total=7)
    assert len(PolypDataset(data_root=str(out), pipeline=[])) == 7
    manifest = [json.loads(line) for line in (out / 'manifest.jsonl').read_text().splitlines()]
    assert [r['index'] for r in manifest] == list(range(7))
    assert all(r['mask_source'] == 'generated' and r['mask_attempts'] >= 1 for r in manifest)
    provenance = json.loads((out / 'synthesis.json').read_text())
    assert provenance['num'] == 7 and provenance['seed'] == 0
    assert provenance['solver'] == 'EulerSolver' and provenance['alignflow']
    assert not list(out.rglob('*.tmp*')) and not list(out.glob('manifest.rank*'))


def test_pair_i_is_the_same_whatever_the_batch_size(models, tmp_path):
    run(models, tmp_path / 'a', batch_size=1)
    run(models, tmp_path / 'b', batch_size=4)
    assert files(tmp_path / 'a') == files(tmp_path / 'b')
    run(models, tmp_path / 'c', seed=1)
    assert files(tmp_path / 'c') != files(tmp_path / 'a')


def test_a_killed_run_resumes_without_duplicates_or_partial_files(models, tmp_path, monkeypatch):
    import alignflow.apis.synthesize as synthesis
    run(models, tmp_path / 'clean')
    paint, calls = synthesis.paint, []

    def dies_in_the_third_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return paint(*args, **kwargs)

    monkeypatch.setattr(synthesis, 'paint', dies_in_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        run(models, tmp_path / 'killed')
    # Two batches of 3 were painted; the first is recorded, the second's files may exist
    # (the writer thread finished them) but it is not: it will be painted again, identically.
    assert len(files(tmp_path / 'killed')) == 2 * 6
    monkeypatch.setattr(synthesis, 'paint', paint)
    assert run(models, tmp_path / 'killed') == dict(written=4, skipped=3, total=7)
    assert files(tmp_path / 'killed') == files(tmp_path / 'clean')
    lines = (tmp_path / 'killed' / 'manifest.jsonl').read_text().splitlines()
    assert [json.loads(line)['index'] for line in lines] == list(range(7))
    assert run(models, tmp_path / 'killed', num=9)['written'] == 2  # extend the same set


def test_another_synthesis_in_the_folder_is_refused(models, tmp_path):
    out = tmp_path / 'syn'
    run(models, out)
    with pytest.raises(FileExistsError, match='for another run'):
        run(models, out, seed=3)
    run(models, out, seed=3, overwrite=True)
    assert json.loads((out / 'synthesis.json').read_text())['seed'] == 3
    assert len(files(out)) == 14


def test_the_folder_the_manifest_and_the_record_agree_or_the_run_is_refused(models, tmp_path):
    out = tmp_path / 'syn'
    run(models, out, num=7)
    with pytest.raises(FileExistsError, match='holds 2 pairs of this run beyond --num 5'):
        run(models, out, num=5)
    assert len(files(out)) == 14 and json.loads((out / 'synthesis.json').read_text())['num'] == 7
    run(models, out, num=5, overwrite=True)
    manifest = (out / 'manifest.jsonl').read_text().splitlines()
    assert len(files(out)) == 10 and len(manifest) == 5
    assert json.loads((out / 'synthesis.json').read_text())['num'] == 5
    assert len(PolypDataset(data_root=str(out), pipeline=[])) == 5


def test_a_folder_another_process_is_writing_into_is_refused(models, tmp_path):
    from alignflow.utils.output_folder import output_folder_lock
    out = tmp_path / 'syn'
    with output_folder_lock(out, 'another synthesis'):
        with pytest.raises(FileExistsError, match='another process is writing into'):
            run(models, out, seed=1)
    assert not (out / 'images').exists()  # nothing written while the other held it
    run(models, out, seed=1)  # released: the folder is free
    assert len(files(out)) == 14


def test_source_masks_and_bad_settings(models, tmp_path):
    source = write_toy_dataset(tmp_path / 'toy', num_samples=5, img_size=16, domain='source',
                               seed=0)
    generator, _ = build(models)
    masks = DatasetMasks(str(source), seed=0, augment=True)
    settings = SynthesisSettings(num=4, seed=0, size=(16, 16), batch_size=2)
    synthesize(str(tmp_path / 'syn'), generator, masks, settings, {}, progress=False)
    manifest = (tmp_path / 'syn' / 'manifest.jsonl').read_text().splitlines()
    assert all(json.loads(line)['mask_source'] == 'dataset' for line in manifest)
    with pytest.raises(ValueError, match='reads as data'):
        synthesize(str(source), generator, masks, settings, {}, progress=False)
    for bad, match in ((dict(num=0), '--num'), (dict(seed=-1), '--seed')):
        with pytest.raises(ValueError, match=match):
            synthesize(str(tmp_path / 'x'), generator, masks,
                       SynthesisSettings(**dict(dict(num=2, seed=0, size=(16, 16)), **bad)), {})


def test_a_failed_write_leaves_no_half_pair(models, tmp_path, monkeypatch):
    import alignflow.apis.synthesize as synthesis
    write = synthesis.write_png_atomic

    def disk_full_on_the_third_mask(path, image, calls=[]):
        if path.parent.name == 'masks':
            calls.append(path)
            if len(calls) == 3:
                raise OSError(f'could not write {path}: no space left')
        write(path, image)

    monkeypatch.setattr(synthesis, 'write_png_atomic', disk_full_on_the_third_mask)
    with pytest.raises(OSError, match='syn_000002.png'):
        run(models, tmp_path / 'syn')
    names = lambda sub: sorted(p.name for p in (tmp_path / 'syn' / sub).iterdir())  # noqa: E731
    assert names('images') == names('masks')  # whole pairs only
    assert 'syn_000002.png' not in names('images') and 'syn_000000.png' in names('images')
    monkeypatch.setattr(synthesis, 'write_png_atomic', write)
    assert run(models, tmp_path / 'syn')['total'] == 7
    assert len(files(tmp_path / 'syn')) == 14
    assert len((tmp_path / 'syn' / 'manifest.jsonl').read_text().splitlines()) == 7


def test_a_chain_that_rejects_everything_says_why(models, tmp_path):
    generator, masks = build(models, max_retries=2,
                             chain=[dict(type='Binarize'),
                                    dict(type='RejectByArea', min_fraction=1.0)])
    with pytest.raises(RuntimeError, match=r'rejected 3 masks in a row.*foreground fraction'):
        synthesize(str(tmp_path / 'syn'), generator, masks,
                   SynthesisSettings(num=2, seed=0, size=(16, 16)), {}, progress=False)
    assert not list((tmp_path / 'syn' / 'images').iterdir())


def tool(*args, launcher=None):
    command = [sys.executable, 'tools/synthesize.py', *map(str, args), '--batch-size', '2']
    if launcher:
        command = ['bash', 'tools/dist_synthesize.sh', *map(str, args[:2]), '2',
                   *map(str, args[2:]), '--batch-size', '2']
    env = dict(os.environ, PYTHON=sys.executable, PORT='29533')
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300,
                          env=env)


def test_the_tool_and_two_gloo_ranks_write_the_same_set(models, tmp_path):
    image, mask = models['image'], models['mask']
    common = ['--num', 5, '--mask-config', mask[0], '--mask-ckpt', mask[1]]
    one = tool(*image, *common, '--out-dir', tmp_path / 'one')
    assert one.returncode == 0, one.stderr[-3000:]
    assert 'task/s' in one.stdout and '5 pairs written' in one.stdout  # progress, rate, ETA
    two = tool(*image, *common, '--out-dir', tmp_path / 'two', launcher='torchrun')
    assert two.returncode == 0, two.stderr[-3000:]
    assert files(tmp_path / 'one') == files(tmp_path / 'two') and len(files(tmp_path / 'one')) == 10
    assert (tmp_path / 'one' / 'manifest.jsonl').read_text() == \
        (tmp_path / 'two' / 'manifest.jsonl').read_text()
    wrong = tool(*mask, '--num', 2, '--source-masks', tmp_path / 'one', '--out-dir',
                 tmp_path / 'three')
    assert wrong.returncode != 0 and 'is a mask generator (MaskFlow)' in wrong.stderr
    assert 'Traceback' not in wrong.stderr or 'ValueError' in wrong.stderr
    zero = tool(*image, '--num', 0, '--source-masks', tmp_path / 'one', '--out-dir',
                tmp_path / 'four')
    assert zero.returncode == 2 and '--num must be a positive' in zero.stderr


class FirstRoundFails:
    """A stand-in adherence gate: every pair's first draw scores 0, later draws 1."""
    min_dice = 0.5

    def __init__(self, always_fail=False):
        self.calls, self.always_fail = 0, always_fail

    def describe(self):
        return dict(kind='test gate')

    def scores(self, images, labels):
        self.calls += 1
        return [0.0 if self.always_fail or self.calls == 1 else 1.0] * len(images)


def test_the_adherence_gate_redraws_pairs_and_records_their_scores(models, tmp_path):
    generator, masks = build(models)
    settings = SynthesisSettings(num=3, seed=0, size=(16, 16), batch_size=3)
    synthesize(str(tmp_path / 'gated'), generator, masks, settings, {}, progress=False,
               gate=FirstRoundFails())
    records = [json.loads(line) for line in
               (tmp_path / 'gated' / 'manifest.jsonl').read_text().splitlines()]
    assert [r['adherence_dice'] for r in records] == [[0.0, 1.0]] * 3
    assert all(r['adherence_dropped'] == 1 and r['round'] == 1 for r in records)
    run(models, tmp_path / 'plain', num=3, batch_size=3)
    assert files(tmp_path / 'gated') != files(tmp_path / 'plain')  # redrawn from other streams
    assert json.loads((tmp_path / 'gated' / 'synthesis.json').read_text())[
        'adherence_gate'] == dict(kind='test gate')
    with pytest.raises(RuntimeError, match='3 draws in a row scored below --min-dice 0.5'):
        synthesize(str(tmp_path / 'never'), generator, masks, settings, {}, progress=False,
                   gate=FirstRoundFails(always_fail=True), max_gate_rounds=3)


def test_the_tool_filters_with_a_real_mmseg_segmentor(models, tmp_path):
    from mmengine.config import Config
    seg_config = REPO / 'configs' / 'segmentation' / 'unet_polyp_32.py'
    segmentor = MODELS.build(Config.fromfile(str(seg_config)).model)
    torch.save(dict(state_dict=segmentor.state_dict()), tmp_path / 'seg.pth')
    image, mask = models['image'], models['mask']
    result = tool(*image, '--num', 3, '--mask-config', mask[0], '--mask-ckpt', mask[1],
                  '--out-dir', tmp_path / 'syn', '--filter-adherence', seg_config,
                  tmp_path / 'seg.pth', '--min-dice', 0.0)
    assert result.returncode == 0, result.stderr[-3000:]
    records = [json.loads(line) for line in
               (tmp_path / 'syn' / 'manifest.jsonl').read_text().splitlines()]
    assert len(records) == 3 and all(len(r['adherence_dice']) == 1 for r in records)
    assert all(0.0 <= r['adherence_dice'][0] <= 1.0 for r in records)


def test_a_checkpoint_of_the_wrong_model_type_is_named_from_its_stored_config(
        models, tmp_path):
    from mmengine.config import Config
    mask_cfg, mask_ckpt = models['mask']
    state = torch.load(mask_ckpt, weights_only=False)
    state['meta'] = dict(cfg=Config.fromfile(mask_cfg).pretty_text)  # as mmengine saves it
    torch.save(state, tmp_path / 'mask_run.pth')
    image_model = Config.fromfile(models['image'][0]).model
    with pytest.raises(ValueError, match=r'mask_run.pth is a mask generator \(MaskFlow\)'):
        load_image_generator(image_model, str(tmp_path / 'mask_run.pth'))
    with pytest.raises(ValueError, match='builds a .EncoderDecoder. model, not an image'):
        load_image_generator(dict(type='EncoderDecoder'), models['image'][1], 'seg.py')


def write_masks(folder: Path, masks) -> Path:
    import cv2
    folder.mkdir(parents=True)
    for i, mask in enumerate(masks):
        assert cv2.imwrite(str(folder / f'm{i}.png'), mask)
    return folder


def square(value, channels=None):
    import numpy as np
    mask = np.zeros((16, 16) if channels is None else (16, 16, channels), np.uint8)
    mask[4:12, 4:12] = value
    return mask


@pytest.mark.parametrize('masks, match', [
    ([square((0, 0, 255), 3)] * 2, 'channels differ'),  # red masks read as grey 76
    ([square(100)] * 2, r'\[0, 100\]'),
    ([torch.randint(0, 256, (16, 16), generator=torch.Generator().manual_seed(i),
                    dtype=torch.uint8).numpy() for i in range(2)], 'photograph'),
], ids=['rgb', 'zero-hundred', 'photos'])
def test_source_masks_follow_the_dataset_rules(tmp_path, masks, match):
    folder = write_masks(tmp_path / 'masks', masks)
    with pytest.raises(ValueError, match=match) as err:
        DatasetMasks(str(folder), seed=0)
    assert '2 of 2 --source-masks masks' in str(err.value)
    assert str(folder / 'm0.png') in str(err.value)


def test_every_source_mask_is_checked_before_synthesis(tmp_path):
    folder = write_masks(tmp_path / 'masks', [square(255)] * 50)
    (folder / 'm37.png').write_bytes(b'truncated')  # one a short synthesis might never draw
    with pytest.raises(ValueError, match='m37.png is unreadable'):
        DatasetMasks(str(folder), seed=0)


def test_colour_source_masks_with_a_colour_map(tmp_path):
    folder = write_masks(tmp_path / 'masks', [square((0, 0, 255), 3)] * 2)
    from alignflow.datasets.mask_io import parse_colour_map
    masks = DatasetMasks(str(folder), seed=0, colors=parse_colour_map(['0,0,0=0', '255,0,0=1']))
    (label, record), = masks.masks([0], (16, 16))
    assert label[8, 8] == 1 and label[0, 0] == 0 and label.sum() == 64
    assert masks.describe()['colors'] == {'0,0,0': 0, '255,0,0': 1}
    with pytest.raises(ValueError, match='map each colour to 0 or 1'):
        DatasetMasks(str(folder), seed=0, colors={(255, 0, 0): 2})


def test_the_tool_says_what_is_wrong_in_one_message(models, tmp_path):
    """Colour source masks were painted as empty masks; an unwritable --out-dir raised a raw
    PermissionError."""
    folder = write_masks(tmp_path / 'source' / 'masks', [square((0, 0, 255), 3)] * 2)
    common = ['--num', 2, '--source-masks', folder]
    result = tool(*models['image'], *common, '--out-dir', tmp_path / 'out')
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert 'tools/synthesize.py: 2 of 2 --source-masks masks' in result.stderr
    assert 'channels differ' in result.stderr and not (tmp_path / 'out').exists()
    mapped = tool(*models['image'], *common, '--mask-colors', '0,0,0=0', '255,0,0=1',
                  '--out-dir', tmp_path / 'out')
    assert mapped.returncode == 0, mapped.stderr[-3000:]
    try:
        Path('/sys/alignflow_probe').mkdir()
    except PermissionError:
        locked = tool(*models['image'], *common, '--mask-colors', '0,0,0=0', '255,0,0=1',
                      '--out-dir', '/sys/alignflow_out')
        assert locked.returncode == 1 and 'Traceback' not in locked.stderr
        assert 'permission denied for /sys/alignflow_out' in locked.stderr
    else:
        pytest.skip('/sys is writable here')
