"""The evaluation protocol and the alignment sweep: a spec and its checks, a step store (cached,
resumable, refusing stale work), the steps, the report, and a launcher that runs independent
steps as jobs (locally, on several GPUs, or on Slurm, through submitit)."""
from .report import results_csv, results_table
from .spec import ARMS, SegRun, check_protocol, seg_runs
from .steps import Protocol
from .store import StaleArtefactError, StepStore, fingerprint, training_settings

__all__ = ['ARMS', 'Protocol', 'SegRun', 'StaleArtefactError', 'StepStore', 'check_protocol',
           'fingerprint', 'results_csv', 'results_table', 'seg_runs', 'training_settings']
