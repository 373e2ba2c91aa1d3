"""The protocol's steps: its checks, every arm end to end on toy data, and resuming."""
import copy
import csv
import json
import shutil
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from alignflow.protocol import (ARMS, Protocol, StaleArtefactError, check_protocol,
                                results_table, seg_runs)
from alignflow.protocol import steps as protocol_steps

REPO = Path(__file__).resolve().parents[2]


def test_the_protocol_lists_its_runs(toy_protocol):
    runs = seg_runs(toy_protocol(seeds=[0, 1], **{'targets.0.draws': [3, 4]}))
    assert [(r.arm, r.draw, r.seed) for r in runs] == [
        ('real', None, 0), ('real', None, 1), ('stage1', None, 0), ('stage1', None, 1),
        ('aligned', 3, 0), ('aligned', 4, 1),
        ('aligned_generated_masks', 3, 0), ('aligned_generated_masks', 4, 1)]
    crossed = seg_runs(toy_protocol(seeds=[0, 1], pair_draws_with_seeds=False,
                                    arms=['aligned'], **{'targets.0.draws': [3, 4]}))
    assert [(r.draw, r.seed) for r in crossed] == [(3, 0), (3, 1), (4, 0), (4, 1)]


@pytest.mark.parametrize('changes, message', [
    ({'segmentors.0.config': 'configs/segmentation/nope.py'}, "segmentor unet: config .*nope"),
    ({'arms': ['real', 'fancy']}, "arms \\['fancy'\\] are unknown"),
    ({'synthesis.synthetic_ratio': 0}, 'synthetic_ratio must be > 0'),
    ({'seeds': [0, 1]}, 'as many draws \\(1\\) as seeds \\(2\\)'),
    ({'targets.0.folder': '/nowhere/target'}, 'target toy_target: folder'),
    ({'source.data_root': '/nowhere/source'}, 'source.data_root'),
    ({'mask_generator': None}, "'aligned_generated_masks' needs `mask_generator"),
    ({'stage1.checkpoint': '/nowhere/stage1.pth'}, 'stage1.checkpoint'),
    ({'targets.0.alignment.checkpoints': ['/nowhere/a.pth', '/nowhere/b.pth']},
     'is not a list of one stage-2 checkpoint per draw \\[0\\]'),
    ({'targets.0.alignment.checkpoints': '/nowhere/a.pth'}, 'is not a list of one'),
    ({'targets.0.alignment.checkpoints': ['/nowhere/a.pth']},
     "alignment.checkpoints entry '/nowhere/a.pth' does not exist"),
    ({'synthesis.synthetic_raito': 0.5},
     'synthesis.synthetic_raito is not a protocol setting; did you mean synthetic_ratio'),
    ({'seed': [0]}, '^seed is not a protocol setting; did you mean seeds'),
    ({'source.data_rot': '/x'}, 'source.data_rot is not .* did you mean data_root'),
    ({'targets.0.alignment.chekpoints': []}, 'targets.0.alignment.chekpoints is not'),
    ({'segmentors.0.cfg_option': {}}, 'segmentors.0.cfg_option is not .* cfg_options'),
    ({'targets.0.num_heldout': 12}, 'num_heldout=12 must be between 1 and 11: .* holds 12'),
    ({'targets.0.shots': 7}, 'shots=7 must be between 1 and 6'),
])
def test_a_bad_protocol_is_refused_before_training(toy_protocol, changes, message):
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        check_protocol(toy_protocol(**changes))


def test_the_shipped_protocols_are_valid(folders):
    source, target = folders
    for path in sorted((REPO / 'configs/benchmark').glob('*.py')):
        protocol = Config.fromfile(str(path))
        protocol.merge_from_dict({'source.data_root': str(source),
                                  'targets.0.folder': str(target),  # 12 images
                                  'targets.0.num_heldout': 6, 'targets.0.shots': 5})
        check_protocol(protocol)
        assert seg_runs(protocol), path


def test_a_work_dir_inside_a_folder_the_protocol_reads_is_refused(folders, toy_protocol):
    source, target = folders
    for inside in (source / 'work', target):
        with pytest.raises(ValueError, match='lies inside .* choose a work dir outside it'):
            Protocol(toy_protocol(), str(inside))
    assert not (source / 'work').exists()


def test_every_arm_end_to_end_then_resume_then_reuse_only_what_matches(
        toy_protocol, tmp_path, monkeypatch):
    protocol = toy_protocol()
    trained = []
    original = Protocol._train

    def interrupted(self, cfg):
        trained.append(cfg.work_dir)
        if len(trained) == 5:  # the segmentor of the aligned arm
            raise KeyboardInterrupt
        return original(self, cfg)

    monkeypatch.setattr(Protocol, '_train', interrupted)
    with pytest.raises(KeyboardInterrupt):
        Protocol(protocol, str(tmp_path), log=lambda line: None).run()
    assert [Path(w).relative_to(tmp_path).as_posix() for w in trained] == [
        'toy_target/seg/unet/real/seed0', 'stage1', 'toy_target/seg/unet/stage1/seed0',
        'toy_target/align_k3_draw0', 'toy_target/seg/unet/aligned_draw0/seed0']
    done = {p: p.stat().st_mtime_ns for p in tmp_path.rglob('artefact.json')}
    assert len(done) == 6  # 2 segmentor runs, stage 1 and 2 and their synthetic sets

    trained.clear()
    monkeypatch.setattr(Protocol, '_train', lambda self, cfg: trained.append(cfg.work_dir)
                        or original(self, cfg))
    records = Protocol(protocol, str(tmp_path), log=lambda line: None).run()
    assert [Path(w).relative_to(tmp_path).as_posix() for w in trained] == [
        'toy_target/seg/unet/aligned_draw0/seed0', 'mask_generator',
        'toy_target/seg/unet/aligned_generated_masks_draw0/seed0']
    assert all(p.stat().st_mtime_ns == t for p, t in done.items())  # nothing recomputed

    assert [r['arm'] for r in records] == list(ARMS)
    for record in records:
        assert 0 <= record['mDice'] <= 100 and 0 <= record['lesion/dice_per_image'] <= 1
        assert ('synthesis/kd_randomconv' in record) == (record['arm'] != 'real')
        if record['arm'] != 'real':  # real or generated? (toy.py measures it)
            assert 0 <= record['synthesis/real_vs_generated_accuracy'] <= 1
    synthetic = tmp_path / 'toy_target/synthetic/aligned_generated_masks_k3_draw0'
    provenance = json.loads((synthetic / 'synthesis.json').read_text())
    assert provenance['mask_source']['kind'] == 'generated'
    assert len(list((synthetic / 'images').glob('*.png'))) == 8  # ratio 1 x 8 source pairs
    heldout = (tmp_path / 'toy_target/heldout.txt').read_text().split()
    split = json.loads((tmp_path / 'toy_target/align_k3_draw0/reference_split.json')
                       .read_text())
    assert sorted(heldout) == sorted(Path(p).stem for p in split['heldout'])
    assert not set(heldout) & {Path(p).stem for p in split['references']}
    with open(tmp_path / 'results.csv') as f:
        rows = list(csv.DictReader(f))
    assert [row['arm'] for row in rows] == list(ARMS)
    table = (tmp_path / 'results.md').read_text()
    assert table == results_table(records) and '| toy_target | unet | aligned | 1 |' in table

    trained.clear()
    again = Protocol(protocol, str(tmp_path), log=lambda line: None).run()
    assert again == records and trained == []  # a finished protocol re-reads its table
    check_given_checkpoints(protocol, tmp_path, trained, monkeypatch)
    check_reuse_against_the_settings(protocol, tmp_path, records, trained)


def check_given_checkpoints(protocol, work_dir, trained, monkeypatch):
    """A protocol given the stage-1 and stage-2 checkpoints of a finished one trains only its
    segmentors and paints the same synthetic set; a stage-2 checkpoint of another draw, from
    another stage 1 or without its training config is refused before any training; one whose
    stage 1 is gone is reported; the check runs once per known stage 1."""
    stage1 = str(next((work_dir / 'stage1').glob('iter_*.pth')))
    aligned = str(next((work_dir / 'toy_target/align_k3_draw0').glob('iter_*.pth')))
    given = copy.deepcopy(protocol)
    given.merge_from_dict({'stage1.checkpoint': stage1, 'arms': ['aligned'],
                           'targets.0.alignment.checkpoints': [aligned]})
    root = work_dir.parent / f'{work_dir.name}_given'
    records = Protocol(given, str(root), log=lambda line: None).run()
    assert [Path(w).relative_to(root).as_posix() for w in trained] == [
        'toy_target/seg/unet/aligned_draw0/seed0']
    assert [r['arm'] for r in records] == ['aligned'] and not (root / 'stage1').exists()
    made, original = (json.loads((folder / 'toy_target/synthetic/aligned_k3_draw0/'
                                  'synthesis.json').read_text()) for folder in (root, work_dir))
    assert made['image_checkpoint_sha256'] == original['image_checkpoint_sha256']
    assert made['image_checkpoint'] == str(Path(aligned).resolve())
    trained.clear()

    other_draw = copy.deepcopy(given)
    other_draw.targets[0].draws = [1]
    with pytest.raises(ValueError, match='not to draw 1 of this protocol'):
        Protocol(other_draw, str(root), log=lambda line: None).run()
    other_stage1 = copy.deepcopy(given)
    other_stage1.stage1.checkpoint = str(next((work_dir / 'mask_generator').glob('iter_*.pth')))
    with pytest.raises(ValueError, match='would compare two stage 1s'):
        Protocol(other_stage1, str(root), log=lambda line: None).run()
    assert trained == []

    checker, reads = Protocol(given, str(root), log=lambda line: None), []
    read = protocol_steps.read_checkpoint
    with monkeypatch.context() as patch:
        patch.setattr(protocol_steps, 'read_checkpoint',
                      lambda path, what: reads.append(path) or read(path, what))
        checker.check_given_alignments()
        checker.check_given_alignments()
    assert reads == [aligned]

    state = torch.load(aligned, map_location='cpu', weights_only=False)
    cfg = Config.fromstring(state['meta']['cfg'], '.py')
    cfg.model.stage1_checkpoint = str(work_dir / 'gone' / 'stage1.pth')
    state['meta']['cfg'] = cfg.pretty_text
    torch.save(state, root / 'stage1_gone.pth')
    del state['meta']['cfg']
    torch.save(state, root / 'no_config.pth')
    lines = []
    gone = copy.deepcopy(given)
    gone.targets[0].alignment.checkpoints = [str(root / 'stage1_gone.pth')]
    Protocol(gone, str(root), log=lines.append).check_given_alignments()
    assert any(f'its stage 1 {work_dir / "gone" / "stage1.pth"} is gone' in line and
               'was not checked' in line for line in lines)
    no_config = copy.deepcopy(given)
    no_config.targets[0].alignment.checkpoints = [str(root / 'no_config.pth')]
    with pytest.raises(ValueError, match='no_config.pth holds no training config'):
        Protocol(no_config, str(root), log=lambda line: None).check_given_alignments()
    assert trained == []


def check_reuse_against_the_settings(protocol, work_dir, records, trained):
    """A finished work dir is re-read under bookkeeping changes and from a new place, and
    recomputes only its distances under a changed `distances`; it is refused, naming every
    step made from the change, under a changed setting (of a step, or of one it is made from),
    for an interrupted training of other settings, and for work without a fingerprint."""
    def steps(protocol, root=work_dir):
        return Protocol(protocol, str(root), log=lambda line: None)

    def stale_steps(protocol):
        with pytest.raises(StaleArtefactError, match='Delete every folder listed') as stale:
            steps(protocol).run()
        assert all(str(p) in str(stale.value) for p in stale.value.steps) and trained == []
        return sorted(p.relative_to(work_dir).as_posix() for p in stale.value.steps)

    bookkeeping = copy.deepcopy(protocol)
    bookkeeping.segmentors[0].cfg_options['train_dataloader.num_workers'] = 1
    bookkeeping.targets[0].alignment.cfg_options['default_hooks.checkpoint.interval'] = 1
    assert steps(bookkeeping).run() == records and trained == []
    moved = work_dir.parent / f'{work_dir.name}_moved'
    shutil.copytree(work_dir, moved)
    assert steps(protocol, moved).run() == records and trained == []

    distances = work_dir / 'toy_target/synthetic/aligned_k3_draw0/distances_toy_target.json'
    cached = distances.stat().st_mtime_ns
    other_distances = copy.deepcopy(protocol)
    other_distances.distances.c2st_steps = 6
    again = steps(other_distances).run()
    assert trained == [] and distances.stat().st_mtime_ns != cached
    assert [{k: v for k, v in r.items() if not k.startswith('synthesis/')} for r in again] == \
        [{k: v for k, v in r.items() if not k.startswith('synthesis/')} for r in records]

    aligned = ['toy_target/align_k3_draw0',
               'toy_target/seg/unet/aligned_draw0/seed0',
               'toy_target/seg/unet/aligned_generated_masks_draw0/seed0',
               'toy_target/synthetic/aligned_generated_masks_k3_draw0',
               'toy_target/synthetic/aligned_k3_draw0']
    changed = copy.deepcopy(protocol)
    changed.targets[0].alignment.cfg_options['optim_wrapper.optimizer.lr'] = 1e-3
    assert stale_steps(changed) == aligned
    stage1_changed = copy.deepcopy(protocol)
    stage1_changed.stage1.cfg_options['optim_wrapper.optimizer.lr'] = 3e-3  # toy: 1e-3
    assert stale_steps(stage1_changed) == sorted(
        aligned + ['stage1', 'synthetic/stage1', 'toy_target/seg/unet/stage1/seed0'])

    (work_dir / 'toy_target/align_k3_draw0' / 'artefact.json').unlink()  # as if interrupted
    with pytest.raises(StaleArtefactError, match='align_k3_draw0'):
        steps(changed).align(changed.targets[0], 0)  # not resumed under the new settings
    assert trained == []

    artefact = work_dir / 'stage1' / 'artefact.json'
    record = json.loads(artefact.read_text())
    del record['fingerprint']
    artefact.write_text(json.dumps(record))
    with pytest.raises(StaleArtefactError, match='did not record') as legacy:
        steps(protocol).run()
    assert legacy.value.steps == [work_dir / 'stage1'] and trained == []


def test_the_table_gives_mean_and_spread_over_runs():
    records = [dict(target='t', segmentor='s', arm='aligned', draw=d, seed=d, mDice=m,
                    mIoU=m - 10, **{'lesion/dice_per_image': m / 100,
                                    'lesion/iou_per_image': 0.5,
                                    'synthesis/kd_randomconv': 0.01,
                                    'synthesis/kd_randomconv_std': 0.5,
                                    'synthesis/c2st_target_share': 0.25})
               for d, m in enumerate([70.0, 74.0])]
    row = results_table(records).splitlines()[2]
    assert row.startswith('| t | s | aligned | 2 | 72.00 ± 2.83 | 62.00 ± 2.83 | 72.00 ± 2.83')
    assert '0.0100 ± 0.0000' in row and '25.0 ± 0.0' in row and '| – |' in row


def test_fingerprints_follow_the_heldout_split_and_a_given_checkpoint(toy_protocol, tmp_path):
    """heldout.txt is rewritten when num_heldout changes and the segmentor runs tested on it
    change fingerprint; a stage-1 checkpoint given by the protocol counts by its bytes."""
    checkpoint = tmp_path / 'stage1.pth'
    checkpoint.write_bytes(b'weights a')
    protocol = toy_protocol(**{'stage1.checkpoint': str(checkpoint)})
    run = next(r for r in seg_runs(protocol) if r.arm == 'real')
    steps = Protocol(protocol, str(tmp_path / 'work'), log=lambda line: None)
    heldout = steps.heldout(protocol.targets[0]).read_text().split()
    assert len(heldout) == 6

    fewer = copy.deepcopy(protocol)
    fewer.targets[0].num_heldout = 5
    other = Protocol(fewer, str(tmp_path / 'work'), log=lambda line: None)
    assert len(other.heldout(fewer.targets[0]).read_text().split()) == 5
    assert other.fingerprint(('segment', run)) != steps.fingerprint(('segment', run))

    stage1 = steps.fingerprint(('stage1',))
    checkpoint.write_bytes(b'weights b')  # retrained into the same path
    retrained = Protocol(protocol, str(tmp_path / 'work'), log=lambda line: None)
    assert retrained.fingerprint(('stage1',)) != stage1
    assert retrained.fingerprint(('align', 'toy_target', 0)) != \
        steps.fingerprint(('align', 'toy_target', 0))
