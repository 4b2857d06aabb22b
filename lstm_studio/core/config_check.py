"""Build a config from data a person may have edited, keeping only fields of the right type.

`config.config_from_dict` trusts its input: it reads files the app wrote itself (projects,
checkpoints, run records). Settings files are different: they live for years, are shared by
every version of the app the user ever ran and are sometimes edited by hand, so a field can
hold anything. A wrong-typed value there must not reach a widget (a spin box given a string
raises) or a training run; here it falls back to the field's default and the other fields
keep their saved values.
"""

from __future__ import annotations

import dataclasses
import math
import types
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

C = TypeVar("C")

_MISSING = object()


def _fit(value: object, hint: Any) -> object:
    """`value` converted to `hint` (JSON lists become tuples), or _MISSING if it does not fit."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        for arg in args:
            fitted = _fit(value, arg)
            if fitted is not _MISSING:
                return fitted
        return _MISSING
    if hint is type(None):
        return None if value is None else _MISSING
    if hint is bool:
        return value if isinstance(value, bool) else _MISSING
    if hint is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _MISSING
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value):
            return float(value)
        return _MISSING
    if hint is str:
        return value if isinstance(value, str) else _MISSING
    if origin is list and isinstance(value, list):
        items = [_fit(item, args[0]) for item in value]
        return _MISSING if _MISSING in items else items
    if origin is tuple and isinstance(value, (list, tuple)):
        if len(args) == 2 and args[1] is Ellipsis:
            items = [_fit(item, args[0]) for item in value]
        elif len(args) == len(value):
            items = [_fit(item, arg) for item, arg in zip(value, args, strict=True)]
        else:
            return _MISSING
        return _MISSING if _MISSING in items else tuple(items)
    if origin is dict and isinstance(value, dict):
        pairs = {_fit(key, args[0]): _fit(item, args[1]) for key, item in value.items()}
        return _MISSING if _MISSING in pairs or _MISSING in pairs.values() else pairs
    return _MISSING


def config_from_untrusted(cls: type[C], data: object) -> tuple[C, list[str]]:
    """`cls` built from `data`; fields missing or of the wrong type get their defaults.

    Returns the config and the names of the fields whose stored value was refused (for a log
    line). Anything that is not a dict gives the default config. Unknown keys are ignored, as
    `config_from_dict` does, so settings written by a newer version still load.
    """
    if not isinstance(data, dict):
        return cls(), ([] if data is None else ["(the whole entry)"])
    hints = get_type_hints(cls)
    kwargs: dict[str, object] = {}
    refused: list[str] = []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name not in data:
            continue
        fitted = _fit(data[field.name], hints[field.name])
        if fitted is _MISSING:
            refused.append(field.name)
        else:
            kwargs[field.name] = fitted
    return cls(**kwargs), refused
