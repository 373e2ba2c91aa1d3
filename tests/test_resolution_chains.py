"""The chains from data to segmentor meet at one size: stage 1, stage 2, the mask generator and
the segmentor of the 64-px CPU chain and of the 256-px GPU chain, and the synthetic mix takes
pairs painted at its size and refuses others with the command that paints them."""
import json
from pathlib import Path

import pytest
from mmengine.config import Config

from alignflow.apis.config_resolution import apply_synthetic_mix

REPO = Path(__file__).resolve().parents[1]
CHAINS = {
    64: dict(stage1='stage1/stage1_polyp_64px.py', stage2='stage2/stage2_clinicdb_5shot_64px.py',
             masks='maskflow/maskflow_polyp_64px.py',
             segmentor='segmentation/segformer_mit-b0_polyp_64_syn.py'),
    256: dict(stage1='stage1/stage1_polyp_256px.py',
              stage2='stage2/stage2_clinicdb_5shot_256px.py',
              masks='maskflow/maskflow_polyp_256px.py',
              segmentor='segmentation/segformer_mit-b0_polyp_256_syn.py'),
}


def _config(name):
    return Config.fromfile(str(REPO / 'configs' / name))


def _size(cfg):
    return {tuple(step.scale) for step in cfg.train_dataloader.dataset.pipeline
            if step.type == 'Resize'}


@pytest.mark.parametrize('size', CHAINS)
def test_every_step_of_a_chain_works_at_one_size(size):
    chain = {step: _config(name) for step, name in CHAINS[size].items()}
    for step, cfg in chain.items():
        assert _size(cfg) == {(size, size)}, step
    assert chain['stage2'].model.stage1_config == f'configs/{CHAINS[size]["stage1"]}'
    assert chain['stage2'].model.reference_size == size
    assert chain['segmentor'].model.data_preprocessor.size == (size, size)
    source = chain['stage1'].train_dataloader.dataset.data_root
    assert chain['masks'].train_dataloader.dataset.data_root == source
    assert chain['segmentor'].train_dataloader.dataset.data_root == source
    assert chain['segmentor'].test_dataloader.dataset.data_root == \
        chain['stage2'].reference_split.folder


def _synthetic_folder(root: Path, size: int) -> Path:
    root.mkdir()
    (root / 'synthesis.json').write_text(json.dumps(dict(size=[size, size])))
    return root


@pytest.mark.parametrize('size', CHAINS)
def test_the_mix_takes_pairs_of_its_size_and_names_the_command_for_others(size, tmp_path):
    cfg = _config(CHAINS[size]['segmentor'])
    cfg.synthetic_mix.data_root = str(_synthetic_folder(tmp_path / 'same', size))
    apply_synthetic_mix(cfg)
    assert cfg.train_dataloader.dataset.type == 'RealSyntheticMix'
    other = 64 if size == 256 else 256
    cfg = _config(CHAINS[size]['segmentor'])
    cfg.synthetic_mix.data_root = str(_synthetic_folder(tmp_path / 'other', other))
    with pytest.raises(ValueError, match=rf'pairs of {other}x{other} px .* trains at {size}x'
                       rf'{size}.*stage2_<target>_<k>shot_{size}px\.py'):
        apply_synthetic_mix(cfg)
