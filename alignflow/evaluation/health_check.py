"""Did the alignment take? A verdict from the reference-only figures of
:class:`~alignflow.evaluation.ReferenceCheckMetric`, for a user who has no held-out target image.

It reads three figures:

* ``c2st_target_share``: the share of generated images that classifiers trained to tell the
  source images from the references call "reference", the reference-only counterpart of the
  held-out "which hospital" share (and ``c2st_accuracy``, how well those classifiers tell the
  two real sets apart on images they did not train on: near 0.5 the share means nothing);
* ``hf_energy_ratio``: texture energy against the references'; a reward met by blurring shows
  as a ratio well under 1;
* ``diversity_ratio``: spread against the references'; a collapse shows as a ratio well under 1.

The leave-one-reference-out distances are reported by the metric but not read: they did not
follow the held-out share of finished runs, while the classifier's share did. The default
thresholds, and the runs they were set on, are in ``docs/user_guides/4_stage2_your_hospital.md``.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional

TOOK = 'took'
DID_NOT_TAKE = 'did not take'
UNSURE = 'unsure'


@dataclass
class HealthVerdict:
    """A verdict (:data:`TOOK`, :data:`DID_NOT_TAKE` or :data:`UNSURE`), the reasons behind it
    and the figures it read."""

    label: str
    reasons: List[str]
    figures: Dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        """One plain line for the log."""
        shown = ', '.join(f'{name} {value:.3g}' for name, value in self.figures.items())
        return f'alignment {self.label.upper()}: {"; ".join(self.reasons)} ({shown})'

    def to_dict(self) -> dict:
        return dict(verdict=self.label, reasons=self.reasons, figures=self.figures)


def judge_alignment(current: Mapping[str, float], baseline: Optional[Mapping[str, float]] = None,
                    took_share: float = 0.25, failed_share: float = 0.10,
                    min_classifier_accuracy: float = 0.6, min_hf_energy_ratio: float = 0.6,
                    min_diversity_ratio: float = 0.6) -> HealthVerdict:
    """Judge one validation's reference-only figures.

    Args:
        current: ``ReferenceCheckMetric``'s figures (keys without the ``refcheck/`` prefix):
            ``hf_energy_ratio`` always; ``diversity_ratio`` with k >= 2; ``c2st_target_share``
            and ``c2st_accuracy`` with a source set and k >= 2.
        baseline: the same figures for stage 1 (the validation before training), or None.
            A stage 1 the classifiers already call "reference" leaves nothing to judge by.
        took_share: reference share at or above which the look took.
        failed_share: reference share under which it did not.
        min_classifier_accuracy: under this, the classifiers cannot tell the source from the
            references and their share means nothing.
        min_hf_energy_ratio: texture energy under this share of the references': smoothed.
        min_diversity_ratio: spread under this share of the references': collapsed.
    """
    figures = {name: float(current[name]) for name in
               ('c2st_target_share', 'c2st_accuracy', 'hf_energy_ratio', 'diversity_ratio')
               if name in current}
    failures, doubts = [], []
    if figures['hf_energy_ratio'] < min_hf_energy_ratio:
        failures.append(f'texture energy is {figures["hf_energy_ratio"]:.2f} of the '
                        f'references\' (under {min_hf_energy_ratio}): the images were smoothed')
    if figures.get('diversity_ratio', 1.0) < min_diversity_ratio:
        failures.append(f'variety is {figures["diversity_ratio"]:.2f} of the references\' '
                        f'(under {min_diversity_ratio}): the images collapsed')
    share = figures.get('c2st_target_share')
    stage1_share = (baseline or {}).get('c2st_target_share')
    if share is None:
        doubts.append('no source-vs-references classifier ran (it needs k >= 2 references '
                      'and the source images)')
    elif figures['c2st_accuracy'] < min_classifier_accuracy:
        doubts.append(f'the classifiers tell the source from the references only '
                      f'{figures["c2st_accuracy"]:.0%} of the time (under '
                      f'{min_classifier_accuracy:.0%}): the two looks are too alike to judge')
    elif stage1_share is not None and stage1_share >= took_share:
        doubts.append(f'stage 1 was already called reference {stage1_share:.0%} of the time')
    else:
        called = f'{share:.0%} of generated images are called reference'
        if share < failed_share:
            failures.append(f'{called} (under {failed_share:.0%})')
        elif share < took_share:
            doubts.append(f'{called} (between {failed_share:.0%} and {took_share:.0%})')
        elif not failures:
            return HealthVerdict(TOOK, [f'{called} (at least {took_share:.0%})'], figures)
    if failures:
        return HealthVerdict(DID_NOT_TAKE, failures, figures)
    return HealthVerdict(UNSURE, doubts, figures)
