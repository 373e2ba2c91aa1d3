"""Make ``mmcv.ops`` importable when mmcv was installed without compiled ops.

The default install uses ``mmcv-lite`` (a pure-Python wheel) because full ``mmcv`` 2.1 has no
wheel for current torch and takes ~26 minutes to compile. mmsegmentation imports a few names
from ``mmcv.ops`` at module level; in mmcv-lite, ``mmcv/ops/__init__.py`` fails on the missing
``mmcv._ext``. This module, only when ``mmcv._ext`` is absent, registers a replacement
``mmcv.ops`` that:

* provides the pure-PyTorch ops mmcv-lite ships (``point_sample``, ``bilinear_grid_sample``);
* provides placeholders for compiled ops mmseg imports unguarded (``sigmoid_focal_loss``):
  they raise a clear error only when *called*;
* raises ``ModuleNotFoundError`` for every other name, which mmseg already guards.

It is written by hand because nothing upstream offers it; it must run before mmseg is
imported, which ``import alignflow`` does.
"""
import importlib.util
import sys
import types
from pathlib import Path

_PURE_PYTORCH_MODULES = {'point_sample': ('point_sample', 'bilinear_grid_sample')}
_COMPILED_PLACEHOLDERS = ('sigmoid_focal_loss', 'softmax_focal_loss')
_HINT = ('needs mmcv with compiled ops. Install full mmcv (e.g. `pip install mmcv==2.1.0 '
         '--no-build-isolation` with setuptools<81), see docs/get_started.md')


def has_compiled_mmcv_ops() -> bool:
    """Whether the installed mmcv ships its compiled extension ``mmcv._ext``."""
    return importlib.util.find_spec('mmcv._ext') is not None


def _compiled_placeholder(name: str):

    def placeholder(*args, **kwargs):
        raise RuntimeError(f'mmcv.ops.{name} {_HINT}.')

    placeholder.__name__ = name
    return placeholder


def _load_source_module(package_dir: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f'mmcv.ops.{name}', package_dir / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def install_mmcv_ops_fallback() -> bool:
    """Install the replacement ``mmcv.ops``; returns True if it was needed.

    Does nothing when full mmcv (with ``mmcv._ext``) is installed or ``mmcv.ops`` is already
    imported.
    """
    if 'mmcv.ops' in sys.modules or importlib.util.find_spec('mmcv') is None:
        return False
    if has_compiled_mmcv_ops():
        return False
    import mmcv
    ops_dir = Path(mmcv.__file__).parent / 'ops'
    ops = types.ModuleType('mmcv.ops', 'Pure-PyTorch subset of mmcv.ops (alignflow fallback).')
    ops.__path__ = []  # a package, so ``import mmcv.ops.point_sample`` resolves below
    for module_name, names in _PURE_PYTORCH_MODULES.items():
        module = _load_source_module(ops_dir, module_name)
        sys.modules[f'mmcv.ops.{module_name}'] = module
        for name in names:
            setattr(ops, name, getattr(module, name))
    for name in _COMPILED_PLACEHOLDERS:
        setattr(ops, name, _compiled_placeholder(name))

    def __getattr__(name: str):
        if name.startswith('__'):
            raise AttributeError(name)
        raise ModuleNotFoundError(f'mmcv.ops.{name} {_HINT}.', name='mmcv.ops')

    ops.__getattr__ = __getattr__
    sys.modules['mmcv.ops'] = ops
    mmcv.ops = ops
    return True
