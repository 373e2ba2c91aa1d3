"""Import every AlignFlow module so that its registry entries exist."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register all AlignFlow (and mmseg) modules, as ``mmseg.utils.register_all_modules`` does.

    Args:
        init_default_scope: set the default scope to ``'alignflow'``.
    """
    import mmseg.utils

    mmseg.utils.register_all_modules(init_default_scope=False)
    import alignflow.datasets  # noqa: F401
    import alignflow.engine  # noqa: F401
    import alignflow.evaluation  # noqa: F401
    import alignflow.features  # noqa: F401
    import alignflow.flow  # noqa: F401
    import alignflow.losses  # noqa: F401
    import alignflow.masks  # noqa: F401
    import alignflow.models  # noqa: F401
    import alignflow.rewards  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('alignflow'):
        DefaultScope.get_instance('alignflow', scope_name='alignflow')
    elif current.scope_name != 'alignflow':
        warnings.warn(f'The default scope "{current.scope_name}" is switched to "alignflow".')
        DefaultScope.get_instance(f'alignflow-{datetime.datetime.now()}', scope_name='alignflow')
