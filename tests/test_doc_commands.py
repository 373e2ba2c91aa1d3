"""The commands of "Stage 2: align to your hospital" run as written, in the page's order, at
64 px: stage 1 on a labelled source, stage 2 on a folder of five frames, a mask generator, a
synthetic set and a segmentor trained on real + synthetic pairs. Each ``## Step`` block is read
from the page and run in a scratch folder holding the repository's configs and tools, with
three stand-ins for what a test cannot have: the page's data folders become small generated
ones, each training gets a second ``--cfg-options`` with a budget of two iterations, and the
checkpoint names of full budgets become those of the two-iteration runs."""
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from mmengine.config import Config
from polyp_folders import write_polyp_folder

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / 'docs' / 'user_guides' / '4_stage2_your_hospital.md'
LOADERS = [f'{loader}.{option}' for loader in ('train_dataloader', 'val_dataloader')
           for option in ('batch_size=4', 'num_workers=0', 'persistent_workers=False')]
BUDGET = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.logger.interval=1',
          'default_hooks.checkpoint.interval=2', 'val_dataloader.dataset.indices=4', *LOADERS]
# What each config trains with besides the budget: fewer solver steps for the generators, and
# stage 2 pointed at the two-iteration stage 1 (its config names the full run's checkpoint).
PER_CONFIG = {
    'configs/stage1/stage1_polyp_64px.py': ['model.solver.num_steps=4'],
    'configs/stage2/stage2_custom_5shot_64px.py': [
        'model.stage1_checkpoint=work_dirs/stage1_polyp_64px/iter_2.pth',
        'model.generator.solver.num_steps=4', 'model.num_steps=4', 'model.grad_last_k=2',
        'custom_hooks.1.interval=2', 'val_dataloader.dataset.indices=8'],
    'configs/maskflow/maskflow_polyp_64px.py': ['model.solver.num_steps=4'],
    'configs/segmentation/segformer_mit-b0_polyp_64.py': [],
}


def step_blocks(page: Path):
    """The shell blocks under the page's ``## Step`` headings, in order."""
    blocks = []
    for section in re.split(r'^## ', page.read_text(), flags=re.M)[1:]:
        if section.startswith('Step'):
            blocks += re.findall(r'```bash\n(.*?)```', section, re.S)
    return blocks


def commands(block: str):
    """The block's commands as argument lists (comments dropped, continuations joined)."""
    text = re.sub(r'\\\n', ' ', block)
    return [shlex.split(line) for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith('#')]


def as_test_runs(command, data):
    """The page's command with the test's stand-ins: data folders, two-iteration budgets and
    the checkpoints those budgets write."""
    renamed = {'iter_20000.pth': 'iter_2.pth', 'iter_300.pth': 'iter_2.pth'}
    words = []
    for word in command:
        for page_path, test_path in data.items():
            word = word.replace(page_path, str(test_path))
        for full, short in renamed.items():
            word = word.replace(full, short)
        words.append(word)
    if words[:2] == ['python', 'tools/train.py']:
        words += ['--cfg-options', *BUDGET, *PER_CONFIG[words[2]]]
    if words[:2] == ['python', 'tools/synthesize.py']:
        words[words.index('--num') + 1] = '4'
    return [sys.executable, *words[1:]]


def test_the_hospital_page_runs_from_source_to_segmentor(tmp_path):
    blocks = step_blocks(PAGE)
    runs = [command for block in blocks for command in commands(block)]
    trained = [run[2] for run in runs if run[:2] == ['python', 'tools/train.py']]
    assert trained == list(PER_CONFIG), 'the page\'s steps changed: update PER_CONFIG'
    data = {'/data/Kvasir-SEG': write_polyp_folder(tmp_path / 'Kvasir-SEG', 8, seed=0),
            '/data/my_hospital': write_polyp_folder(tmp_path / 'my_hospital', 5, seed=1,
                                                    tint=(150, 90, 60), masks=False) / 'images'}
    scratch = tmp_path / 'repository'
    scratch.mkdir()
    for shipped in ('configs', 'tools'):
        (scratch / shipped).symlink_to(REPO / shipped)
    printed = {}
    for run in runs:
        command = as_test_runs(run, data)
        result = subprocess.run(command, cwd=scratch, capture_output=True, text=True,
                                timeout=600)
        assert result.returncode == 0, (' '.join(command), result.stdout[-2000:],
                                        result.stderr[-3000:])
        printed[' '.join(run)] = result.stdout + result.stderr
    work = scratch / 'work_dirs'
    stage2 = next(text for command, text in printed.items()
                  if 'tools/train.py configs/stage2/stage2_custom_5shot_64px.py' in command)
    check_stage2_on_five_frames(work / 'stage2_custom_5shot_64px', stage2)
    synthetic = scratch / 'data' / 'synthetic' / 'my_hospital_64px'
    assert len(list((synthetic / 'images').iterdir())) == 4
    assert len(list((synthetic / 'masks').iterdir())) == 4
    segmentor = work / 'segformer_mit-b0_polyp_64'
    trained_on = Config.fromfile(str(segmentor / 'segformer_mit-b0_polyp_64.py'))
    assert trained_on.train_dataloader.dataset.type == 'RealSyntheticMix'
    assert 'mDice' in next(segmentor.glob('*/*.log')).read_text()
    # nothing was written into the folders the commands only read
    assert sorted(p.name for p in data['/data/my_hospital'].iterdir()) == \
        [f'{i:03d}.png' for i in range(5)]


def check_stage2_on_five_frames(work_dir: Path, printed: str):
    """Stage 2 on five unlabelled frames validated on the references alone, and its health
    check's verdict reached the log and the work dir (``printed``: what the command printed,
    which includes what it said before its log file was opened)."""
    assert (work_dir / 'iter_2.pth').is_file()
    log = next(work_dir.glob('*/*.log')).read_text() + printed
    assert 'loss_reward:' in log
    for name in ('mmd', 'loo_floor', 'loo_generated', 'loo_ratio', 'hf_energy_ratio',
                 'diversity_ratio', 'c2st_target_share', 'c2st_accuracy'):
        assert f'refcheck/{name}:' in log
    assert 'a reference-only check, not a held-out score' in log
    assert '5 references' in log and '0 held-out images' in log
    assert 'Health check from the 5 references alone' in log
    record = json.loads((work_dir / 'health_check.json').read_text())
    assert record['verdict'] in ('took', 'did not take', 'unsure') and record['iter'] == 2
    assert f'alignment {record["verdict"].upper()}' in log
    assert set(record['stage1']) >= {'c2st_target_share', 'hf_energy_ratio'}
