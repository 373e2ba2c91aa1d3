"""The health check's verdict: its rules, and on toy domains a look that took, one that did not
and one whose reward was met by a blur."""
import cv2
import numpy as np
import pytest
import torch

from alignflow.datasets.toy import write_toy_dataset
from alignflow.evaluation import ReferenceCheckMetric, judge_alignment
from alignflow.evaluation.health_check import DID_NOT_TAKE, TOOK, UNSURE

STAGE1 = dict(c2st_target_share=0.0, c2st_accuracy=0.9, hf_energy_ratio=1.5,
              diversity_ratio=1.0)


def figures(**changes):
    return dict(STAGE1, **changes)


@pytest.mark.parametrize('current, label, reason', [
    (figures(c2st_target_share=0.4), TOOK, 'called reference'),
    (figures(c2st_target_share=0.05), DID_NOT_TAKE, 'under 10%'),
    (figures(c2st_target_share=0.18), UNSURE, 'between 10% and 25%'),
    (figures(c2st_target_share=0.6, hf_energy_ratio=0.4), DID_NOT_TAKE, 'smoothed'),
    (figures(c2st_target_share=0.6, diversity_ratio=0.3), DID_NOT_TAKE, 'collapsed'),
    (figures(c2st_target_share=0.6, c2st_accuracy=0.55), UNSURE, 'too alike'),
    (dict(hf_energy_ratio=1.0), UNSURE, 'no source-vs-references classifier'),
])
def test_the_verdict_follows_its_rules(current, label, reason):
    verdict = judge_alignment(current, STAGE1)
    assert verdict.label == label
    assert reason in '; '.join(verdict.reasons)
    assert verdict.label.upper() in verdict.line()


def test_a_stage1_already_called_reference_leaves_nothing_to_judge():
    verdict = judge_alignment(figures(c2st_target_share=0.9), figures(c2st_target_share=0.5))
    assert verdict.label == UNSURE and 'stage 1 was already' in verdict.reasons[0]


def test_thresholds_are_arguments():
    current = figures(c2st_target_share=0.18)
    assert judge_alignment(current, STAGE1, took_share=0.15).label == TOOK


def _as_samples(folder, names):
    images = [cv2.imread(str(folder / 'images' / name))[..., ::-1].copy() for name in names]
    return [dict(gen_img=dict(data=torch.from_numpy(i).permute(2, 0, 1))) for i in images]


def _blurred(samples):
    return [dict(gen_img=dict(data=torch.from_numpy(cv2.GaussianBlur(
        s['gen_img']['data'].permute(1, 2, 0).numpy(), (0, 0), 2.0)).permute(2, 0, 1)))
        for s in samples]


def _judge(metric, samples, baseline=None):
    metric.results.clear()
    metric.process(None, samples)
    figures = metric.compute_metrics(metric.results)
    return figures, judge_alignment(figures, baseline)


def test_on_toy_domains_the_target_look_takes_and_the_source_look_or_a_blur_does_not(tmp_path):
    source = write_toy_dataset(tmp_path / 'source', 48, 32, 'source', seed=0)
    target = write_toy_dataset(tmp_path / 'target', 21, 32, 'target', seed=1)
    names = sorted(p.name for p in (target / 'images').iterdir())
    references = [str(target / 'images' / name) for name in names[:5]]
    metric = ReferenceCheckMetric(references, feature_space='randomconv',
                                  source=str(source / 'images'), c2st_steps=150)
    # Stage 1 paints the source's look; an aligned model the target's (unseen target frames).
    stage1, verdict = _judge(metric, _as_samples(source, sorted(
        p.name for p in (source / 'images').iterdir())[-16:]))
    assert verdict.label == DID_NOT_TAKE and stage1['c2st_target_share'] < 0.1
    assert stage1['c2st_accuracy'] > 0.6
    aligned = _as_samples(target, names[5:])
    _, verdict = _judge(metric, aligned, stage1)
    assert verdict.label == TOOK, verdict.line()
    blurred, verdict = _judge(metric, _blurred(aligned), stage1)
    assert verdict.label == DID_NOT_TAKE and 'smoothed' in verdict.line()
    assert blurred['hf_energy_ratio'] < 0.6


def test_without_a_source_no_classifier_runs(tmp_path):
    target = write_toy_dataset(tmp_path / 'target', 8, 32, 'target', seed=1)
    paths = sorted(str(p) for p in (target / 'images').iterdir())
    metric = ReferenceCheckMetric(paths[:4], feature_space='randomconv')
    figures, verdict = _judge(metric, _as_samples(target, [p.rsplit('/', 1)[1]
                                                           for p in paths[4:]]))
    assert 'c2st_target_share' not in figures
    assert verdict.label == UNSURE
    assert np.isfinite(figures['loo_ratio'])
