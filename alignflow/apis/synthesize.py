"""Turn trained generators into a synthetic dataset on disk, traceable and resumable.

Output (the layout the dataset classes read)::

    out_dir/
        images/syn_000000.png ...     painted by the image generator (RGB saved as PNG)
        masks/syn_000000.png ...      the label it was painted for, {0, 255}
        manifest.jsonl                one line per pair: index, seeds, where its mask came
                                      from, post-processing retries and rejection reasons
        synthesis.json                checkpoints with SHA-256, configs, solver, steps,
                                      guidance, seed, mask source, package version
        .alignflow_output.json        the claim marker (see alignflow.utils.output_folder)

Pair ``i`` depends only on ``(seed, i)``: its mask noise, the retries of a rejected mask and
its image noise are drawn from generators seeded by them, so the set is the same whatever the
batch size or the number of processes (ranks take the indices ``i % world_size == rank``).
Pairs stream to disk batch by batch (memory does not grow with the number of pairs), each file
written under a temporary name and renamed; a pair counts as done once its two files and its
manifest line exist, so a killed run resumes where it stopped, without duplicates.
"""
import hashlib
import json
import os
import random
from abc import ABC, abstractmethod
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import barrier, get_dist_info
from mmengine.utils import ProgressBar

from alignflow.datasets.image_mask import IMG_EXTENSIONS
from alignflow.datasets.mask_io import ColourMap, check_mask_files, read_mask
from alignflow.masks import MaskRejected, resize_mask
from alignflow.models.generators.data_preprocessor import encode_mask
from alignflow.utils.atomic_io import write_png_atomic, write_text_atomic
from alignflow.utils.output_folder import claim_output_folder, output_folder_lock
from alignflow.version import __version__

MANIFEST = 'manifest.jsonl'
PROVENANCE = 'synthesis.json'
Size = Tuple[int, int]


def pair_seed(seed: int, index: int, stream: str, attempt: int = 0) -> int:
    """The seed of one random draw of pair ``index``: its mask noise (``stream='mask'``, one
    per post-processing attempt), its image noise (``'image'``), its source-mask pick."""
    digest = hashlib.sha256(f'{seed}/{index}/{stream}/{attempt}'.encode()).hexdigest()
    return int(digest[:15], 16)


def stream(name: str, round_: int) -> str:
    """The name of a draw's stream in round ``round_`` of the adherence gate (round 0 keeps
    the plain name, so a synthesis without the gate draws what it always drew)."""
    return name if round_ == 0 else f'{name}/round{round_}'


def seeded_normal(shape: Sequence[int], seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


class MaskSource(ABC):
    """Where the masks of the pairs come from."""

    @abstractmethod
    def describe(self) -> dict:
        """What identifies the source in ``synthesis.json`` (and so the run)."""

    @abstractmethod
    def masks(self, indices: Sequence[int], size: Size,
              rounds: Optional[Sequence[int]] = None) -> List[Tuple[np.ndarray, dict]]:
        """For each pair index: its label (H, W) uint8 {0, 1} at ``size`` and a manifest
        record of how it was made; ``rounds`` (default 0): the adherence-gate round of each
        pair (a redrawn pair draws from other streams)."""

    def read_folders(self) -> List[Path]:
        """Folders this source reads (the output may not be one of them)."""
        return []


class GeneratedMasks(MaskSource):
    """New masks from a ``MaskFlow``, post-processed by its chain; a rejected mask is drawn
    again (a new noise of the same pair) up to ``max_retries`` times.

    Args:
        model: the mask generator (eval mode).
        seed: the synthesis seed.
        sample_size: (H, W) the mask flow samples at (its training resolution); labels are
            resized to the image size when it differs (smoothly:
            :func:`~alignflow.masks.resize_mask`).
        max_retries: redraws of one pair before synthesis stops with the rejection reasons.
        num_steps: solver steps (the model's default when None).
        describe_as: the config and checkpoint, for ``synthesis.json``.
    """

    def __init__(self, model, seed: int, sample_size: Size, max_retries: int = 20,
                 num_steps: Optional[int] = None, describe_as: Optional[dict] = None):
        self.model = model
        self.seed = seed
        self.sample_size = tuple(sample_size)
        self.max_retries = max_retries
        self.num_steps = num_steps
        self.description = dict(describe_as or {}, kind='generated', max_retries=max_retries,
                                num_steps=num_steps or model.solver.num_steps,
                                postprocess=repr(model.postprocess))

    def describe(self) -> dict:
        return self.description

    @torch.no_grad()
    def masks(self, indices: Sequence[int], size: Size,
              rounds: Optional[Sequence[int]] = None) -> List[Tuple[np.ndarray, dict]]:
        device = next(self.model.parameters()).device
        round_of = dict(zip(indices, rounds or [0] * len(indices)))
        results: Dict[int, Tuple[np.ndarray, dict]] = {}
        reasons: Dict[int, List[str]] = {i: [] for i in indices}
        pending = [(i, 0) for i in indices]
        while pending:
            noise = torch.stack([
                seeded_normal((1, *self.sample_size),
                              pair_seed(self.seed, i, stream('mask', round_of[i]), attempt))
                for i, attempt in pending]).to(device)
            maps = self.model.sample(noise, num_steps=self.num_steps)
            retry = []
            for (i, attempt), mask_map in zip(pending, maps):
                try:
                    label = resize_mask(self.model.label(mask_map), size)
                except MaskRejected as rejected:
                    reasons[i].append(str(rejected))
                    if attempt >= self.max_retries:
                        raise RuntimeError(
                            f'pair {i}: mask post-processing rejected {attempt + 1} masks in '
                            f'a row ({dict(Counter(reasons[i]).most_common(3))}); loosen the '
                            f'chain (RejectByArea, RejectByComponents), raise --max-retries, '
                            f'or train the mask generator longer') from rejected
                    retry.append((i, attempt + 1))
                    continue
                results[i] = (label, dict(mask_source='generated', mask_attempts=attempt + 1,
                                          rejections=reasons[i]))
            pending = retry
        return [results[i] for i in indices]


class DatasetMasks(MaskSource):
    """Masks of an existing dataset (``folder/masks/*.png`` or ``folder/*.png``), each pair
    picking one with its seed, resized to the pair size (:func:`~alignflow.masks.resize_mask`),
    optionally flipped and (for square sizes) rotated by 90 degrees at random. Every mask is
    read once here, with the datasets' rules (:func:`~alignflow.datasets.mask_io.read_mask`),
    so a bad one is refused before anything is painted, not only if a pair happens to draw it.

    Args:
        folder: the mask folder, or a dataset folder with ``masks/``.
        seed: the synthesis seed.
        augment: random flips and rotations by 90 degrees.
        colors: ``{(R, G, B): 0 or 1}`` for colour masks (``--mask-colors``).
    """

    def __init__(self, folder: str, seed: int, augment: bool = False,
                 colors: Optional[ColourMap] = None):
        root = Path(folder)
        self.folder = root / 'masks' if (root / 'masks').is_dir() else root
        if not self.folder.is_dir():
            raise FileNotFoundError(f'--source-masks {folder} does not exist; give a folder of '
                                    'masks (or a dataset folder with masks/)')
        self.files = sorted(p for p in self.folder.iterdir()
                            if p.suffix.lower() in IMG_EXTENSIONS)
        if not self.files:
            raise FileNotFoundError(f'--source-masks {self.folder} holds no mask files')
        if colors is not None and set(colors.values()) - {0, 1}:
            raise ValueError(f'--mask-colors maps to classes {sorted(set(colors.values()))}; '
                             f'synthesis paints binary masks: map each colour to 0 or 1')
        self.colors = colors
        check_mask_files(self.files, f'--source-masks masks in {self.folder}', colors=colors)
        self.seed = seed
        self.augment = augment
        self.cache_size = 4096
        self._labels: Dict[Tuple[Path, Size], np.ndarray] = {}

    def describe(self) -> dict:
        described = dict(kind='dataset', folder=str(self.folder.resolve()),
                         files=len(self.files), augment=self.augment)
        if self.colors is not None:
            described['colors'] = {','.join(map(str, k)): v for k, v in self.colors.items()}
        return described

    def read_folders(self) -> List[Path]:
        return [self.folder.parent if self.folder.name == 'masks' else self.folder]

    def _label(self, path: Path, size: Size) -> np.ndarray:
        """The binary mask of ``path`` at ``size`` (decoded once: a set of N pairs reuses its
        source masks N / len(files) times)."""
        key = (path, tuple(size))
        if key not in self._labels:
            mask = read_mask(path, colors=self.colors)
            if len(self._labels) >= self.cache_size:
                self._labels.pop(next(iter(self._labels)))
            self._labels[key] = resize_mask(mask, size)
        return self._labels[key]

    def masks(self, indices: Sequence[int], size: Size,
              rounds: Optional[Sequence[int]] = None) -> List[Tuple[np.ndarray, dict]]:
        out = []
        for i, round_ in zip(indices, rounds or [0] * len(indices)):
            draw = random.Random(pair_seed(self.seed, i, stream('pick', round_)))
            path = self.files[draw.randrange(len(self.files))]
            mask, ops = self._label(path, size), []
            if self.augment:
                if draw.random() < 0.5:
                    mask, ops = mask[:, ::-1], ops + ['hflip']
                if draw.random() < 0.5:
                    mask, ops = mask[::-1], ops + ['vflip']
                turns = draw.randrange(4) if size[0] == size[1] else 0
                if turns:
                    mask, ops = np.rot90(mask, turns), ops + [f'rot90x{turns}']
            out.append((np.ascontiguousarray(mask),
                        dict(mask_source='dataset', mask_file=path.name, augment=ops)))
        return out


@dataclass
class SynthesisSettings:
    """How pairs are painted.

    Args:
        num: pairs to write (indices 0 .. num - 1).
        seed: the seed every draw derives from.
        size: (H, W) of the pairs.
        batch_size: pairs painted at once.
        num_steps: image solver steps (the generator's default when None).
        guidance_scale: classifier-free guidance (the generator's default when None).
    """
    num: int
    seed: int
    size: Size
    batch_size: int = 16
    num_steps: Optional[int] = None
    guidance_scale: Optional[float] = None

    def check(self) -> None:
        if not isinstance(self.num, int) or self.num < 1:
            raise ValueError(f'--num must be a positive number of pairs, got {self.num}')
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f'--seed must be a non-negative int, got {self.seed}')
        if self.batch_size < 1:
            raise ValueError(f'--batch-size must be >= 1, got {self.batch_size}')


def _stem(index: int) -> str:
    return f'syn_{index:06d}'


def _read_manifest_lines(path: Path) -> List[dict]:
    """The complete records of a manifest file (a partial last line from a kill is dropped)."""
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            break
    return records


def completed_pairs(out_dir: Path) -> Dict[int, dict]:
    """The pairs already done: a manifest record, and both files on disk."""
    done = {}
    for path in sorted(out_dir.glob('manifest*.jsonl')):
        for record in _read_manifest_lines(path):
            stem = _stem(record['index'])
            if (out_dir / 'images' / f'{stem}.png').is_file() and \
                    (out_dir / 'masks' / f'{stem}.png').is_file():
                done[record['index']] = record
    return done


def _write_pair(out: Path, stem: str, image_bgr: np.ndarray, mask: np.ndarray) -> None:
    """Both files of a pair, or neither: a failed mask write (a full disk) removes the image."""
    image_path, mask_path = out / 'images' / f'{stem}.png', out / 'masks' / f'{stem}.png'
    try:
        write_png_atomic(image_path, image_bgr)
        write_png_atomic(mask_path, mask)
    except BaseException:
        for path in (image_path, mask_path):
            path.unlink(missing_ok=True)
        raise


@torch.no_grad()
def paint(generator, labels: Sequence[np.ndarray], indices: Sequence[int],
          settings: SynthesisSettings, rounds: Optional[Sequence[int]] = None) -> np.ndarray:
    """Images (B, H, W, 3) uint8 RGB for labels (H, W) {0, 1}, with per-pair seeded noise
    (``rounds``: the adherence-gate round of each pair, default 0)."""
    device = next(generator.parameters()).device
    cond = encode_mask(torch.from_numpy(np.stack(labels)).long(), generator.num_classes)
    noise = torch.stack([
        seeded_normal((generator.img_channels, *settings.size),
                      pair_seed(settings.seed, i, stream('image', round_)))
        for i, round_ in zip(indices, rounds or [0] * len(indices))])
    images = generator.sample(cond.to(device), noise=noise.to(device),
                              num_steps=settings.num_steps,
                              guidance_scale=settings.guidance_scale)
    images = ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return images.permute(0, 2, 3, 1).cpu().numpy()


def _gated_batch(generator, mask_source: MaskSource, settings: SynthesisSettings,
                 batch: Sequence[int], gate, max_rounds: int) -> List[tuple]:
    """(label, record, image) per index of ``batch``; with a ``gate``, a pair whose lesion
    Dice is below ``gate.min_dice`` is drawn again (mask and image) in the next round."""
    rounds = {i: 0 for i in batch}
    scores: Dict[int, List[float]] = {i: [] for i in batch}
    kept: Dict[int, tuple] = {}
    pending = list(batch)
    while pending:
        current = [rounds[i] for i in pending]
        masks = mask_source.masks(pending, settings.size, current)
        images = paint(generator, [m for m, _ in masks], pending, settings, current)
        dice = gate.scores(images, [m for m, _ in masks]) if gate is not None else None
        retry = []
        for k, (index, (label, record), image) in enumerate(zip(pending, masks, images)):
            if dice is not None:
                scores[index].append(round(float(dice[k]), 4))
                if dice[k] < gate.min_dice:
                    if rounds[index] + 1 >= max_rounds:
                        raise RuntimeError(
                            f'pair {index}: {max_rounds} draws in a row scored below '
                            f'--min-dice {gate.min_dice} (lesion Dice {scores[index]}); lower '
                            f'--min-dice, raise --max-gate-rounds, or check that the segmentor '
                            f'was trained at the resolution of the synthesis')
                    rounds[index] += 1
                    retry.append(index)
                    continue
                record = dict(record, adherence_dice=scores[index],
                              adherence_dropped=len(scores[index]) - 1)
            kept[index] = (label, dict(record, round=rounds[index]), image)
        pending = retry
    return [kept[i] for i in batch]


def synthesize(out_dir: str, generator, mask_source: MaskSource, settings: SynthesisSettings,
               provenance: dict, overwrite: bool = False, progress: bool = True, gate=None,
               max_gate_rounds: int = 10) -> dict:
    """Write ``settings.num`` pairs into ``out_dir`` (see the module docstring).

    Args:
        out_dir: the output folder; refused when it holds anything but this synthesis
            (another seed, checkpoint, config or mask source), unless ``overwrite``.
        generator: the image generator (``MaskConditionedFlow``, eval mode).
        mask_source: :class:`GeneratedMasks` or :class:`DatasetMasks`.
        settings: see :class:`SynthesisSettings`.
        provenance: configs and checkpoints (with hashes) for ``synthesis.json``; with the
            settings it identifies the run.
        overwrite: replace another synthesis (or write into a folder of other files).
        progress: show a progress bar (rate and ETA) on rank 0.
        gate: an :class:`~alignflow.evaluation.AdherenceGate` (its ``describe`` names it in
            the run): pairs below its ``min_dice`` are drawn again, their scores go to the
            manifest.
        max_gate_rounds: draws of one pair before synthesis stops.

    Returns:
        ``dict(written=..., skipped=..., total=...)`` for this process.
    """
    settings.check()
    rank, world_size = get_dist_info()
    out = Path(out_dir)
    run = dict(provenance, mask_source=mask_source.describe(), seed=settings.seed,
               size=list(settings.size), num_steps=settings.num_steps or
               generator.solver.num_steps, solver=type(generator.solver).__name__,
               guidance_scale=settings.guidance_scale if settings.guidance_scale is not None
               else generator.guidance_scale, alignflow=__version__,
               adherence_gate=gate.describe() if gate is not None else None)
    with ExitStack() as held:
        if rank == 0:
            held.enter_context(output_folder_lock(out, 'tools/synthesize.py',
                                                  mask_source.read_folders()))
            claim_output_folder(out, 'tools/synthesize.py', run, mask_source.read_folders(),
                                overwrite)
            _drop_pairs_beyond(out, settings.num, overwrite)
            for sub in ('images', 'masks'):
                (out / sub).mkdir(exist_ok=True)
            write_text_atomic(json.dumps(dict(run, num=settings.num), indent=1, default=str)
                              + '\n', out / PROVENANCE)
        barrier()
        done = completed_pairs(out)
        todo = [i for i in range(settings.num) if i % world_size == rank and i not in done]
        _paint_and_write(out, generator, mask_source, settings, todo, rank, progress, gate,
                         max_gate_rounds)
        barrier()
        if rank == 0:
            _merge_manifests(out, settings.num)
    return dict(written=len(todo), skipped=len(done), total=settings.num)


def _drop_pairs_beyond(out: Path, num: int, overwrite: bool) -> None:
    """A folder of this run holding pairs beyond ``num`` would train on more pairs than its
    record says: refuse, naming the count, or with ``overwrite`` remove those pairs (this run
    wrote them; the merged manifest keeps indices below ``num`` only)."""
    beyond = sorted(i for i in completed_pairs(out) if i >= num)
    if beyond and not overwrite:
        raise FileExistsError(
            f'tools/synthesize.py: {out} holds {len(beyond)} pairs of this run beyond --num '
            f'{num} (up to index {beyond[-1]}); give --num {beyond[-1] + 1} or more to extend '
            f'it, or --overwrite to keep only the first {num}')
    for index in beyond:
        for sub in ('images', 'masks'):
            (out / sub / f'{_stem(index)}.png').unlink(missing_ok=True)


def _paint_and_write(out: Path, generator, mask_source: MaskSource,
                     settings: SynthesisSettings, todo: List[int], rank: int, progress: bool,
                     gate, max_gate_rounds: int) -> None:
    """Paint the pairs ``todo`` batch by batch and write them with their manifest lines.

    PNG encoding runs in a writer thread (cv2 releases the GIL) while the next batch is
    painted; a batch's manifest lines follow its files, so a pair is never recorded before
    both of its files exist."""
    bar = ProgressBar(len(todo)) if progress and rank == 0 and todo else None
    manifest = out / (f'manifest.rank{rank}.jsonl')
    with open(manifest, 'a') as log, ThreadPoolExecutor(1) as writer:
        written = None
        for start in range(0, len(todo), settings.batch_size):
            batch = todo[start:start + settings.batch_size]
            pairs = _gated_batch(generator, mask_source, settings, batch, gate, max_gate_rounds)
            futures = [writer.submit(_write_pair, out, _stem(index),
                                     np.ascontiguousarray(image[..., ::-1]), label * 255)
                       for index, (label, _, image) in zip(batch, pairs)]
            _finish(written, log, settings, bar)
            written = (futures, [(index, record) for index, (_, record, _) in zip(batch, pairs)])
        _finish(written, log, settings, bar)


def _finish(written, log, settings: SynthesisSettings, bar) -> None:
    """Wait for a batch's files, then log its pairs (flushed to disk) and advance the bar."""
    if written is None:
        return
    futures, records = written
    for future in futures:
        future.result()
    for index, record in records:
        round_ = record['round']
        log.write(json.dumps(dict(
            index=index, file=f'{_stem(index)}.png', seed=settings.seed,
            mask_seed=pair_seed(settings.seed, index, stream('mask', round_)),
            image_seed=pair_seed(settings.seed, index, stream('image', round_)),
            **record)) + '\n')
    log.flush()
    os.fsync(log.fileno())
    if bar is not None:
        for _ in records:
            bar.update()


def _merge_manifests(out: Path, num: int) -> None:
    """One ``manifest.jsonl``, sorted by index, from the per-rank logs (then removed)."""
    records = completed_pairs(out)
    lines = ''.join(json.dumps(records[i]) + '\n' for i in sorted(records) if i < num)
    write_text_atomic(lines, out / MANIFEST)
    for path in out.glob('manifest.rank*.jsonl'):
        path.unlink()
