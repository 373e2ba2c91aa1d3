"""A stage-2 validation that needs nothing but the references: how close generated images sit
to the k references, against how close the references sit to each other.

A user with five frames from their hospital has no held-out target image, so no held-out score
exists for their run. What the references can still say: a real target image that was not
among them would sit as close to them as each reference sits to the others (the leave-one-out
floor); generated images that sit much further away did not take the target's look. The
figures are few-shot estimates, noisy with k, and never a held-out score.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from alignflow.datasets.references import load_images
from alignflow.distances import DEFAULT_BANDWIDTH_FACTORS, median_bandwidth, rbf_kernel
from alignflow.features import high_frequency_energy
from alignflow.registry import METRICS
from .c2st import C2ST
from .feature_spaces import build_feature_space
from .generation_metric import _image_files, _kept_images, image_spread


def leave_one_out_distances(generated: torch.Tensor, references: torch.Tensor,
                            bandwidths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per reference i, the squared MMD (biased, RBF) of one image to the other references.

    Args:
        generated: (N, D) features of generated images.
        references: (K, D) features of the references, K >= 2.
        bandwidths: (S,) RBF sigmas.

    Returns:
        (floor, generated): (K,) each. ``floor[i]`` = MMD²({r_i}, R \\ r_i);
        ``generated[i]`` = the mean over generated g of MMD²({g}, R \\ r_i).
    """
    count = references.shape[0]
    if count < 2:
        raise ValueError(f'a leave-one-out distance needs at least 2 references, got {count}')
    k_rr = rbf_kernel(references, references, bandwidths)
    k_gr = rbf_kernel(generated, references, bandwidths).mean(0)  # (K,)
    others = ~torch.eye(count, dtype=torch.bool, device=references.device)
    # sum over j, j' both != i of k(r_j, r_j'), from the total by inclusion-exclusion.
    within = (k_rr.sum() - 2 * k_rr.sum(1) + k_rr.diagonal()) / (count - 1) ** 2
    to_others = (k_rr * others).sum(1) / (count - 1)
    generated_to_others = (k_gr.sum() - k_gr) / (count - 1)
    return 1 - 2 * to_others + within, 1 - 2 * generated_to_others + within


@METRICS.register_module()
class ReferenceCheckMetric(BaseMetric):
    """Generated images against the k references only: the stage-2 validation of a run that has
    no held-out target images (a user's own 1-10 frames).

    In a feature space the reward does not use (default: ImageNet EfficientNet-Lite0, whose
    weights install with the package), it reports, under the prefix ``refcheck``:

    * ``mmd``: squared MMD (biased, RBF) between the generated images and the references.
    * ``loo_floor`` and ``loo_generated`` (k >= 2): per reference i, the distance of that
      reference to the other k - 1, and the mean distance of one generated image to the same
      k - 1 (:func:`leave_one_out_distances`), averaged over i; ``loo_ratio`` = generated /
      floor. Near 1: generated images sit as close to the references as an unseen target image
      would; far above 1: the look did not transfer.
    * ``hf_energy_ratio``: high-frequency energy (mean |Laplacian|, a texture and speckle
      measure) of the generated images over the references'. Well under 1: the images were
      smoothed.
    * ``diversity_ratio`` (k >= 2): the spread of the generated images over the references'.
    * ``c2st_target_share`` (with ``source``, k >= 2): the share of generated images that
      classifiers trained to tell the source images from the references call "reference"
      (:class:`~alignflow.evaluation.c2st.C2ST` with the references as its target; each
      classifier trains on half the references and ``c2st_accuracy`` is its balanced accuracy
      on the other half and on unseen source images). The reference-only counterpart of the
      held-out "which hospital" share.

    Every distance uses one kernel, whose bandwidths are the median distance among the
    references and their flips times the MMD's factors, so values are comparable across
    validations of a run: the validation before training (stage 1) is the baseline the log
    shows first. With k = 1 only ``mmd`` and ``hf_energy_ratio`` exist, and the distance to one
    image is noisy.

    Args:
        references: the reference image files. None in a config: the references of its
            ``reference_split`` (filled in by :func:`alignflow.apis.prepare_reference_split`).
        feature_space: see :data:`alignflow.evaluation.feature_spaces.FEATURE_SPACES`.
        weights: weights of a pretrained space (None: its default).
        source: real source images for the classifier (a folder, a dataset config or a list
            of files). None in a config: its ``train_dataloader.dataset`` (filled in by
            :func:`alignflow.apis.prepare_reference_split`); None built by hand: no classifier.
        c2st_seeds, c2st_steps: the classifiers' seeds and training steps.
    """

    default_prefix = 'refcheck'

    def __init__(self, references: Optional[Sequence[str]], feature_space: str = 'effnet_lite0',
                 weights: Optional[str] = None,
                 source: Union[str, dict, Sequence[str], None] = None,
                 c2st_seeds: Sequence[int] = (0, 1, 2), c2st_steps: int = 300,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if references is None:
            raise ValueError('ReferenceCheckMetric: references=None is filled in by '
                             'alignflow.apis.build_runner from the config\'s reference_split; '
                             'built by hand, it needs a list of reference image files')
        if len(references) == 0:
            raise ValueError('ReferenceCheckMetric: no reference images given')
        self.references = [str(p) for p in references]
        self.feature_space = feature_space
        self.extractor, _ = build_feature_space(feature_space, weights)
        self.source = source
        self.c2st_seeds, self.c2st_steps = tuple(c2st_seeds), c2st_steps
        self._c2st: Dict[tuple, C2ST] = {}
        self._size = None
        self._reference_features: Dict[tuple, tuple] = {}

    @property
    def classifies(self) -> bool:
        """Whether the source-vs-references classifier runs (a source and k >= 2)."""
        return self.source is not None and len(self.references) >= 2

    @torch.no_grad()
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        images = torch.stack([s['gen_img']['data'] for s in data_samples]).float() / 127.5 - 1
        self._size = tuple(images.shape[-2:])
        device = next(iter(self.extractor.buffers()), images).device
        features = self.extractor(images.to(device)).double().cpu().numpy()
        energy = high_frequency_energy(images).double().numpy()
        kept = [s['gen_img']['data'].cpu().numpy() if self.classifies else None
                for s in data_samples]
        self.results.extend(zip(features, energy, kept))

    @torch.no_grad()
    def _references_at(self, size: tuple) -> tuple:
        """(K, D) features, (3K, D) features with the flips, mean energy; once per size."""
        if size not in self._reference_features:
            images = load_images(self.references, size)
            views = torch.cat([images, images.flip(-1), images.flip(-2)])
            device = next(iter(self.extractor.buffers()), images).device
            features = self.extractor(views.to(device)).double().cpu()
            energy = float(high_frequency_energy(images).mean())
            self._reference_features[size] = (features[:len(images)], features, energy)
        return self._reference_features[size]

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        references, views, reference_energy = self._references_at(self._size)
        generated = torch.from_numpy(np.stack([f for f, *_ in results]))
        bandwidths = median_bandwidth(views) * torch.tensor(DEFAULT_BANDWIDTH_FACTORS,
                                                            dtype=views.dtype)
        k_gg = rbf_kernel(generated, generated, bandwidths).mean()
        k_rr = rbf_kernel(references, references, bandwidths).mean()
        k_gr = rbf_kernel(generated, references, bandwidths).mean()
        energy = float(np.mean([e for _, e, _ in results]))
        metrics = dict(mmd=float(k_gg + k_rr - 2 * k_gr),
                       hf_energy_ratio=energy / max(reference_energy, 1e-12))
        count = len(references)
        if count >= 2:
            floor, to_generated = leave_one_out_distances(generated, references, bandwidths)
            metrics.update(loo_floor=float(floor.mean()), loo_generated=float(to_generated.mean()),
                           diversity_ratio=image_spread(generated.numpy()) /
                           max(image_spread(references.numpy()), 1e-12))
            metrics['loo_ratio'] = metrics['loo_generated'] / max(metrics['loo_floor'], 1e-12)
        if self.classifies:
            if self._size not in self._c2st:  # trained (or loaded) once per run and size
                self._c2st[self._size] = C2ST(
                    _image_files(self.source), _image_files(self.references), self._size,
                    self.c2st_seeds, self.c2st_steps)
            metrics.update(self._c2st[self._size].report(_kept_images(results)))
        note = ('' if count >= 2 else '; with one reference there is no leave-one-out floor and '
                'the distance to one image is noisy')
        print_log(f'ReferenceCheckMetric: {len(generated)} generated images against the {count} '
                  f'references in the {self.feature_space} space, a reference-only check, not a '
                  f'held-out score{note}', logger='current')
        return metrics
