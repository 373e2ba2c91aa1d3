"""The old address of :func:`~alignflow.apis.config_resolution.metric_cfgs`, imported by the
evaluation protocol; the reference split itself is resolved in
:mod:`alignflow.apis.config_resolution`."""
from .config_resolution import metric_cfgs

__all__ = ['metric_cfgs']
