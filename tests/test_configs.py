"""Every config under configs/ and projects/*/configs/ loads and builds its model, at the
resolution it says, within three levels of inheritance."""
import ast
import json
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.model import BaseModel

from alignflow.apis import prepare_reference_split
from alignflow.datasets import write_toy_dataset
from alignflow.registry import MODELS

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted([p for p in (REPO / 'configs').rglob('*.py')
                  if '_base_' not in p.parts and 'benchmark' not in p.parts] +
                 list((REPO / 'projects').glob('*/configs/*.py')))
# Every config file, bases and protocols included, for the inheritance rule.
ALL_CONFIGS = sorted(list((REPO / 'configs').rglob('*.py')) +
                     list((REPO / 'projects').glob('*/configs/*.py')))


@pytest.fixture(scope='module')
def target(tmp_path_factory):
    return write_toy_dataset(tmp_path_factory.mktemp('target') / 'toy', num_samples=16,
                             img_size=16, domain='target', seed=7)


@pytest.fixture(scope='module')
def stage1_checkpoints(tmp_path_factory):
    """One stage-1 checkpoint per generator architecture, made on first use."""
    folder, made = tmp_path_factory.mktemp('stage1'), {}

    def checkpoint(generator_cfg: dict) -> str:
        key = json.dumps(generator_cfg, sort_keys=True, default=str)
        if key not in made:
            path = folder / f'stage1_{len(made)}.pth'
            torch.save(dict(state_dict=MODELS.build(generator_cfg).state_dict()), path)
            made[key] = str(path)
        return made[key]

    return checkpoint


def resize_scales(pipeline):
    return [tuple(step['scale']) for step in pipeline if step['type'] == 'Resize']


def test_every_config_is_found():
    names = {p.stem for p in CONFIGS}
    assert {'stage1_toy_32px', 'stage1_polyp_128px', 'stage1_polyp_256px',
            'stage2_clinicdb_5shot_128px', 'stage2_clinicdb_5shot_256px', 'unet_polyp_32',
            'stage2_clinicdb_5shot_64px_conservative'} <= names and len(CONFIGS) >= 44


def test_each_config_is_where_its_name_says():
    """``{stage}_{data}[_{k}shot]_{size}px[-{iters}][_{variant}].py``: the stage names its
    folder, the size is the config's img_size, and only a project's config (projects/: a study,
    or an example that swaps in a part of its own, at any stage) has a variant."""
    for path in CONFIGS:
        stage = path.stem.split('_')[0]
        if stage not in ('stage1', 'stage2', 'maskflow'):
            continue
        parts = path.stem.split('_')
        size = next(part for part in parts if part.split('-')[0].endswith('px'))
        assert Config.fromfile(str(path), import_custom_modules=False).img_size == int(
            size.split('-')[0][:-2]), path.name
        variant = parts[parts.index(size) + 1:]
        if 'projects' in path.parts:
            assert len(variant) == 1, path.name
        else:
            assert path.parent.name == stage and not variant, path.name


def _bases(path: Path) -> list:
    """The local ``_base_`` files of a config, read without executing it."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
                getattr(target, 'id', None) == '_base_' for target in node.targets):
            bases = ast.literal_eval(node.value)
            bases = [bases] if isinstance(bases, str) else bases
            return [(path.parent / base).resolve() for base in bases if '::' not in base]
    return []


def _levels(path: Path) -> int:
    """The config itself is level 1; each ``_base_`` file (a leaf included) adds one."""
    return 1 + max((_levels(base) for base in _bases(path)), default=0)


@pytest.mark.parametrize('path', ALL_CONFIGS, ids=lambda p: str(p.relative_to(REPO)))
def test_at_most_three_levels_of_inheritance(path):
    levels = _levels(path)
    assert levels <= 3, f'{path.relative_to(REPO)}: {levels} levels'


@pytest.mark.parametrize('name', ['unet_polyp_64', 'unet_polyp_32', 'segformer_mit-b0_polyp_64'])
def test_a_syn_config_is_its_real_only_config_with_a_synthetic_mix(name):
    """The *_syn.py configs write out their real-only config's lines (a child would be four
    levels deep): they may differ from it in synthetic_mix alone."""
    real, syn = (Config.fromfile(str(REPO / 'configs' / 'segmentation' / f'{name}{suffix}.py'))
                 .to_dict() for suffix in ('', '_syn'))
    assert real.pop('synthetic_mix')['data_root'] is None
    assert syn.pop('synthetic_mix')['data_root'].startswith('data/synthetic/')
    assert real == syn


def _without_solver(model) -> dict:
    return {k: v for k, v in model.to_dict().items() if k != 'solver'}


def test_a_stage2_generator_is_its_stage1_model():
    """A stage-2 config's generator is the model of the stage 1 it loads (the ODE solver
    aside: it holds no weights, and a project may sample with its own), and the alignment
    bases write out the generators of flow_unet_{tiny,base}.py."""
    stage2 = [p for p in CONFIGS if p.stem.startswith('stage2_')]
    assert len(stage2) >= 40
    for path in stage2:
        cfg = Config.fromfile(str(path), import_custom_modules=False)
        stage1 = Config.fromfile(str(REPO / cfg.model.stage1_config)).model
        if 'projects' in path.parts:
            assert _without_solver(cfg.model.generator) == _without_solver(stage1), path.name
        else:
            assert cfg.model.generator == stage1, path.name
    models = REPO / 'configs' / '_base_' / 'models'
    for size in ('tiny', 'base'):
        assert Config.fromfile(str(models / f'alignment_flow_unet_{size}.py')).model.generator \
            == Config.fromfile(str(models / f'flow_unet_{size}.py')).model


def test_renamed_configs_are_recorded():
    """configs/RENAMED.json: every old path is gone and every new one exists."""
    renamed = json.loads((REPO / 'configs' / 'RENAMED.json').read_text())
    assert len(renamed) >= 57
    for old, new in renamed.items():
        assert not (REPO / old).exists() and (REPO / new).is_file(), old


def _load(path: Path, monkeypatch) -> Config:
    """A config; a project's own package (``custom_imports``) is found on the project's path."""
    if 'projects' in path.parts:
        monkeypatch.syspath_prepend(str(path.parents[1]))
    cfg = Config.fromfile(str(path), import_custom_modules=False)
    for module in cfg.get('custom_imports', {}).get('imports', []):
        if module not in sys.modules:
            try:
                __import__(module)
            except KeyError as error:  # a test before dropped the module, its classes stay
                if 'already registered' not in str(error):
                    raise
    return cfg


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: str(p.relative_to(REPO)))
def test_config_loads_and_builds_its_model(path, target, stage1_checkpoints, monkeypatch):
    cfg = _load(path, monkeypatch)
    size = (cfg.img_size, cfg.img_size)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        dataset = dataset.real if dataset.type == 'RealSyntheticMix' else dataset
        assert set(resize_scales(dataset.pipeline)) == {size}, loader
    if cfg.model.type == 'FewShotAlignment':
        assert cfg.model.reference_size == cfg.img_size
        assert Path(REPO / cfg.model.stage1_config).is_file()
        cfg.model.stage1_checkpoint = stage1_checkpoints(cfg.model.generator.to_dict())
        cfg.reference_split.folder = str(target)
        cfg.reference_split.num_heldout = 4
        cfg.work_dir = None
        split = prepare_reference_split(cfg)
        if cfg.val_evaluator.type == 'ReferenceCheckMetric':  # a user's own few frames
            assert cfg.val_evaluator.references == [str(p) for p in split.references]
        else:
            assert cfg.val_evaluator.real == [str(p) for p in split.heldout]
    model = MODELS.build(cfg.model)
    assert isinstance(model, BaseModel)
    if cfg.model.type == 'FewShotAlignment':
        assert model.reward.num_references == len(split.references)


def test_every_segmentor_trains_with_the_one_lesion_loss():
    """The CE + Dice loss is written once (seg_lesion_losses.py); each segmentor family's heads
    take it from there, auxiliary heads at 0.4."""
    losses = Config.fromfile(str(REPO / 'configs/_base_/models/seg_lesion_losses.py'))
    seg_configs = [p for p in CONFIGS if p.parent.name == 'segmentation']
    families = set()
    for path in seg_configs:
        model = Config.fromfile(str(path)).model
        assert model.decode_head.loss_decode == losses.lesion_loss, path.name
        if model.get('auxiliary_head'):
            assert model.auxiliary_head.loss_decode == losses.lesion_aux_loss, path.name
        families.add(model.backbone.type)
    assert {'UNet', 'MixVisionTransformer', 'VisionTransformer',
            'EfficientNetLiteBackbone'} <= families


def _strength(cfg) -> dict:
    """What the alignment presets set, read off a config (or a preset's dict)."""
    model = cfg.model
    weights = {part['type']: part['loss_weight'] for part in model.get('losses', [])}
    guard = model.get('reward', {}).get('diversity_guard')
    return dict(trainable=model.get('trainable', 'all'),
                fm_weight=weights.get('FlowMatchingLoss', 0.0),
                anchor_weight=weights.get('Stage1AnchorLoss', 0.0),
                mask_anchor_weight=weights.get('MaskEffectAnchorLoss', 0.0),
                diversity_weight=guard['weight'] if guard else 0.0,
                lr=cfg.optim_wrapper.optimizer.lr, max_iters=cfg.train_cfg.max_iters,
                floor_factor=cfg.custom_hooks[0].floor_factor)


DECODER = [r'^velocity_net\.(output_blocks|out_norm|out_conv)\.']


def test_polyp_stage2_default_is_the_appearance_preset():
    """The polyp stage-2 configs run the appearance preset (one file owns it, at the values
    the study log measured), the previous default is kept whole as ``*_conservative.py`` (the
    strength of the plain toy configs), and each lever-study variant says which of the two it
    starts from: a new suffix must be added here."""
    preset = _strength(Config.fromfile(
        str(REPO / 'configs/_base_/presets/alignment_appearance.py')).appearance)
    # "Only the decoder half moves: the polyp default", arm decoder_rw.
    assert preset == dict(trainable=DECODER, fm_weight=0.0, anchor_weight=0.1,
                          mask_anchor_weight=1.0, diversity_weight=1.0, lr=3e-4, max_iters=300,
                          floor_factor=None)
    plain = dict(trainable='all', fm_weight=0.5, anchor_weight=1.0, mask_anchor_weight=0.0,
                 diversity_weight=0.0, lr=1e-4, max_iters=100, floor_factor=1.0)
    for k in ('1', '5', '10', 'full'):
        toy = REPO / f'configs/stage2/stage2_toy_{k}shot_32px.py'
        assert _strength(Config.fromfile(str(toy))) == plain
    expected = {'conservative': plain, 'patch': plain, 'decoder': dict(plain, trainable=DECODER),
                'lora': dict(plain, lr=1e-3), '1shot': dict(preset, diversity_weight=0.0),
                'loosened': dict(preset, trainable='all', mask_anchor_weight=0.0,
                                 diversity_weight=0.0), 'appearance': preset,
                'guard-nets': preset}  # the preset, its guard in four random CNNs
    polyp = [p for p in CONFIGS if p.stem.startswith('stage2_') and
             p.stem.split('_')[1] in ('kvasir', 'clinicdb', 'colondb', 'etis', 'cvc300')]
    assert len(polyp) >= 30
    studies = REPO / 'projects/alignment_studies/configs'
    for path in polyp + [studies / 'stage2_toy_5shot_32px_appearance.py']:
        _, _, shots, _, *variant = path.stem.split('_')
        if not variant:  # stage2_{target}_{k}shot_{size}px.py
            variant = ['1shot' if shots == '1shot' else 'appearance']
        variant = variant[0]
        assert _strength(Config.fromfile(str(path))) == expected[variant], path.name
    assert sum(p.stem.endswith('_conservative') for p in polyp) == 4


SEGMENTORS = ['unet_kvasir', 'segformer_mit-b0_kvasir', 'segformer_mit-b2_drive',
              'dpt_vit-b16_pranet', 'unet_polyp_64', 'segformer_mit-b0_polyp_64',
              'fpn_effnet-lite0_polyp_64']


def _at_size(pipeline, size):
    return [dict(step, scale=(size, size)) if step['type'] == 'Resize' else step
            for step in pipeline]


@pytest.mark.parametrize('name', SEGMENTORS)
def test_segmentation_config_trains_and_tests_on_tiny_data(name, tmp_path):
    """Each segmentor family trains 2 iterations and is tested, at 32 px on toy pairs, without
    its pretrained weights (dropped with a warning) and with BN on one CPU process."""
    from alignflow.apis import build_runner, load_config
    data = write_toy_dataset(tmp_path / 'data', num_samples=4, img_size=40, seed=3)
    path = next(p for p in CONFIGS if p.stem == name)
    cfg = load_config(str(path), work_dir=str(tmp_path / 'work'))
    assert 'SyncBN' not in cfg.pretty_text
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.update(
            type='PolypDataset', data_root=str(data), ann_file=None,
            pipeline=_at_size(cfg[loader].dataset.pipeline, 32))
        cfg[loader].update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.model.data_preprocessor.size = (32, 32)
    cfg.train_cfg.update(max_iters=2, val_interval=2)
    cfg.default_hooks.checkpoint.interval = 2
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.visualizer.name = f'visualizer_{name}'
    runner = build_runner(cfg)
    runner.train()
    metrics = runner.test()
    assert {'mDice', 'mIoU', 'lesion/dice_per_image'} <= set(metrics)
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()
