"""The step store: each step of a protocol or sweep is a folder whose ``artefact.json`` says it
is done, and whose fingerprint says what it was made from.

One set of resume and staleness rules for every orchestrator:

- a step is done once its ``artefact.json`` exists, and is then re-read, never re-made;
- a training records the fingerprint of what makes it before it writes its first checkpoint
  (``started.json``), so an interrupted one resumes only under the same settings;
- a started or finished step whose recorded fingerprint differs from the one asked for now (a
  changed config, default or override, or work by an AlignFlow that recorded none) is refused
  with :class:`StaleArtefactError`, never resumed or reported as this run's result.

Fingerprints are blind to bookkeeping (:data:`RUN_BOOKKEEPING`, :data:`LOADER_BOOKKEEPING`)
and to where the work dir lies (paths inside it are written from its root), so a moved work
dir, more loader workers or another log interval keep their finished steps.
"""
import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Optional, Sequence

from mmengine.config import Config
from mmengine.dist import barrier, get_dist_info

from alignflow.utils.atomic_io import write_text_atomic

ARTEFACT = 'artefact.json'
STARTED = 'started.json'

# Settings that do not change what a run learns or measures (where it writes, how it logs,
# how many processes load its data): left out of the fingerprint.
RUN_BOOKKEEPING = ('work_dir', 'visualizer', 'vis_backends', 'launcher', 'resume', 'load_from',
                   'log_level', 'log_processor', 'env_cfg', 'default_hooks', 'experiment_name')
LOADER_BOOKKEEPING = ('num_workers', 'persistent_workers', 'pin_memory')


class StaleArtefactError(RuntimeError):
    """Started or finished steps (``steps``, their folders) were made with other settings than
    the ones asked for now."""

    def __init__(self, message: str, steps: Sequence[Path]):
        super().__init__(message)
        self.steps = list(steps)


def fingerprint(settings) -> str:
    """16 hex digits of the sha256 of JSON-able ``settings`` (blind to key order, and to
    tuple against list, as a config read back from its dump is)."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def training_settings(cfg: Config) -> dict:
    """The resolved config of a run without its bookkeeping (:data:`RUN_BOOKKEEPING`, and
    :data:`LOADER_BOOKKEEPING` in every ``*_dataloader``): what decides its checkpoints and
    metrics."""
    settings = {}
    for key, value in cfg.to_dict().items():
        if key in RUN_BOOKKEEPING:
            continue
        if key.endswith('_dataloader') and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in LOADER_BOOKKEEPING}
        settings[key] = value
    return settings


def last_checkpoint(work_dir: Path) -> str:
    """The checkpoint mmengine's ``CheckpointHook`` saved last in ``work_dir``."""
    marker = Path(work_dir) / 'last_checkpoint'
    if not marker.is_file():
        raise FileNotFoundError(f'{work_dir} has no last_checkpoint; did the run save one?')
    return marker.read_text().strip()


class StepStore:
    """The steps under ``work_dir``, each made once and only under its own settings.

    Args:
        work_dir: the root every step folder lies under.
        settings_of: the settings that make a step, by its key (any hashable the caller
            chooses); their fingerprint is cached per key for the store's life.
    """

    def __init__(self, work_dir: str, settings_of: Callable[[object], object]):
        self.work_dir = Path(work_dir)
        self._settings_of = settings_of
        self._fingerprints = {}

    @property
    def rank(self) -> int:
        return get_dist_info()[0]

    def fingerprint(self, key) -> str:
        """The fingerprint of the step ``key`` as it would be made now."""
        if key not in self._fingerprints:
            self._fingerprints[key] = fingerprint(self.portable(self._settings_of(key)))
        return self._fingerprints[key]

    def portable(self, value):
        """``value`` with every path inside the work dir written from the work dir's root
        (``<work_dir>/...``), so that a moved work dir keeps its fingerprints."""
        if isinstance(value, dict):
            return {k: self.portable(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.portable(v) for v in value]
        if isinstance(value, str):
            for root in (str(self.work_dir.resolve()), str(self.work_dir)):
                if value == root or value.startswith(root + os.sep):
                    return '<work_dir>' + value[len(root):]
        return value

    @staticmethod
    def done(step_dir: Path) -> Optional[dict]:
        """The artefact of a finished step, None for one not finished."""
        path = Path(step_dir) / ARTEFACT
        return json.loads(path.read_text()) if path.is_file() else None

    def is_stale(self, step_dir: Path, key) -> bool:
        """Whether ``step_dir`` holds work (finished, or a training started) made from other
        settings than ``key``'s now; work without a fingerprint counts as other settings."""
        step_dir = Path(step_dir)
        done = self.done(step_dir)
        if done is not None:
            recorded = done.get('fingerprint')
        elif (step_dir / STARTED).is_file():
            recorded = json.loads((step_dir / STARTED).read_text()).get('fingerprint')
        elif (step_dir / 'last_checkpoint').is_file():
            recorded = None  # a training started by an AlignFlow that did not record it
        else:
            return False
        return recorded != self.fingerprint(key)

    @staticmethod
    def stale_error(steps: Sequence[Path], what: str = 'run') -> StaleArtefactError:
        names = ', '.join(str(p) for p in steps)
        return StaleArtefactError(
            f'{len(steps)} started or finished step(s) were made with other settings than '
            f'this {what} asks for now (a changed config, default or override, or an '
            f'AlignFlow that did not record them): {names}. Their results would be reported '
            f'as this {what}\'s. Delete every folder listed (later steps were made from '
            f'earlier ones) and run again, or give the {what} a new work dir.', steps)

    def reuse(self, step_dir: Path, key, what: str = 'run') -> Optional[dict]:
        """The artefact of a finished step, None for one still to make or finish; refuses work
        made from other settings (:class:`StaleArtefactError`)."""
        if self.is_stale(step_dir, key):
            raise self.stale_error([Path(step_dir)], what)
        return self.done(step_dir)

    def start(self, step_dir: Path, key) -> None:
        """Record what a training is made from before it writes its first checkpoint."""
        if self.rank == 0:
            write_text_atomic(json.dumps(dict(fingerprint=self.fingerprint(key))),
                              Path(step_dir) / STARTED)
        barrier()

    def finish(self, step_dir: Path, key, record: dict) -> dict:
        """Write the step's artefact (``record`` and its fingerprint): the step is done."""
        record = dict(record, fingerprint=self.fingerprint(key))
        if self.rank == 0:
            write_text_atomic(json.dumps(record, indent=2), Path(step_dir) / ARTEFACT)
        barrier()
        return record
