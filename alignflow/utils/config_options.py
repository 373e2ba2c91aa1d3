"""``--cfg-options`` that refuse keys the config does not have.

mmengine's ``Config.merge_from_dict`` adds any key it is given, so a typo
(``synthetic_mx.data_root=...``) trains as if the option were never set. Every dotted key is
checked against the config first: it must exist, or be an argument of the class its dict
builds (``type``), such as a hook's ``window`` left at its default. A key meant to be new is
written with a leading ``+`` (``+model.extra=1``, as Hydra's command line does).
"""
import difflib
import inspect
import re
from typing import Dict, List, Optional

from mmengine.config import Config
from mmengine.registry import Registry

from alignflow import registry as alignflow_registry

NEW_KEY = '+'


def _registered_class(name: str):
    """The class a config's ``type`` names, looked up in every AlignFlow registry (each falls
    back to mmseg's and mmengine's); None when no registry knows it."""
    for candidate in vars(alignflow_registry).values():
        if isinstance(candidate, Registry):
            try:
                found = candidate.get(name)
            except Exception:  # a registry that cannot import its locations knows nothing
                found = None
            if inspect.isclass(found):
                return found
    return None


def constructor_arguments(cls: type) -> List[str]:
    """The named arguments of ``cls``'s constructor and of its bases' (``**kwargs`` passed up
    the MRO reach them)."""
    names = []
    for klass in inspect.getmro(cls):
        if '__init__' in vars(klass):
            names += [name for name, parameter in
                      inspect.signature(klass.__init__).parameters.items()
                      if name != 'self' and parameter.kind not in (
                          parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)]
    return names


def _arguments(node: dict) -> List[str]:
    """The constructor arguments of the class ``node['type']`` builds."""
    cls = node.get('type')
    cls = _registered_class(cls) if isinstance(cls, str) else cls
    return constructor_arguments(cls) if inspect.isclass(cls) else []


def _children(node) -> List[str]:
    if isinstance(node, dict):
        return [str(k) for k in node.keys()]
    if isinstance(node, (list, tuple)):
        return [str(i) for i in range(len(node))]
    return []


def unknown_option(cfg: Config, key: str) -> Optional[str]:
    """Why ``key`` (dotted) names nothing in ``cfg``, or None when every part exists."""
    node, path = cfg._cfg_dict if isinstance(cfg, Config) else cfg, []
    parts = key.split('.')
    for i, part in enumerate(parts):
        children = _children(node)
        if part not in children and isinstance(node, dict) and i == len(parts) - 1 and \
                part in _arguments(node):
            return None  # an argument of the class, left at its default in the config
        if part not in children:
            where = '.'.join(path) or 'the config'
            if not children:
                return (f'{".".join(path)} is {node!r}, which has no key {part!r}')
            known = children + (_arguments(node) if isinstance(node, dict) else [])
            near = difflib.get_close_matches(part, known, n=3, cutoff=0.5)
            hint = (f'did you mean {", ".join(".".join(path + [n]) for n in near)}? '
                    if near else '')
            return f'{where} has no key {part!r}; {hint}'
        node = node[int(part)] if isinstance(node, (list, tuple)) else node[part]
        path.append(part)
    return None


def merge_options(cfg: Config, options: Dict, source: str = '--cfg-options') -> None:
    """Merge ``options`` (dotted keys, as ``DictAction`` parses them) into ``cfg`` once every
    key names something the config has; a key with a leading ``+`` may be new."""
    checked = {}
    for key, value in options.items():
        if key.startswith(NEW_KEY):
            checked[key[len(NEW_KEY):]] = value
            continue
        reason = unknown_option(cfg, key)
        if reason is not None:
            raise KeyError(f'{source} {key}: {reason}write {NEW_KEY}{key}=... to add a new key '
                           f'on purpose ({cfg.filename})')
        checked[key] = value
    cfg.merge_from_dict(checked)


_UNEXPECTED = re.compile(r"(?P<callee>[\w.]+)\(\) got an unexpected keyword argument "
                         r"'(?P<key>\w+)'")


def _callee(error: BaseException, name: str):
    """The class or function called ``name`` where ``error`` was raised (the callee's own
    frame never started, so it is found among the names its callers see), else in a
    registry."""
    chain, cause = [], error
    while cause is not None:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    for raised in reversed(chain):  # the original error first
        traceback = raised.__traceback__
        frames = []
        while traceback is not None:
            frames.append(traceback.tb_frame)
            traceback = traceback.tb_next
        for frame in reversed(frames):
            found = frame.f_locals.get(name, frame.f_globals.get(name))
            if callable(found):
                return found
    return _registered_class(name)


def explain_unexpected_argument(error: TypeError) -> Optional[str]:
    """For ``TypeError: X.__init__() got an unexpected keyword argument 'max_iter'`` (a
    config key a class or function does not take, e.g. a loop's or LoRA's): the key, the
    nearest arguments it does take and all of them; None for any other TypeError."""
    match = _UNEXPECTED.search(str(error))
    if match is None:
        return None
    parts = match['callee'].split('.')
    name = parts[-2] if parts[-1] == '__init__' and len(parts) > 1 else parts[-1]
    callee = _callee(error, name)
    if callee is None:
        return None
    if inspect.isclass(callee):
        known = constructor_arguments(callee)
    else:
        known = [n for n, p in inspect.signature(callee).parameters.items()
                 if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    key = match['key']
    near = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
    hint = f'did you mean {", ".join(near)}? ' if near else ''
    return (f'the config gives {name} an argument {key!r} it does not take; {hint}'
            f'{name} takes {", ".join(known)}. Fix the key in the config (or --cfg-options).')
