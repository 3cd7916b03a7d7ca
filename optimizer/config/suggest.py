"""'did you mean …?' for unknown keys: the allowed keys at a loc, from the schema itself."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel


def allowed_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Field names of the model that sits at ``loc`` (best effort; [] if unknown)."""
    candidates: list[Any] = [model]
    for part in loc:
        nxt: list[Any] = []
        for c in candidates:
            nxt.extend(_step(c, part))
        if nxt:
            candidates = nxt
    names: list[str] = []
    for c in candidates:
        for m in _models(c):
            names.extend(k for k in m.model_fields if k not in names)
    return names


def did_you_mean(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _models(tp: Any) -> list[type[BaseModel]]:
    tp = _strip(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    if _is_union(tp):
        return [m for a in typing.get_args(tp) for m in _models(a)]
    return []


def _step(tp: Any, part: str | int) -> list[Any]:
    tp = _strip(tp)
    out: list[Any] = []
    for m in _models(tp):
        if isinstance(part, str) and part in m.model_fields:
            out.append(m.model_fields[part].annotation)
        elif isinstance(part, str):
            # a discriminator value pydantic inserted: keep the member whose 'type' matches
            f = m.model_fields.get("type")
            if f is not None and part in typing.get_args(_strip(f.annotation)):
                out.append(m)
    origin = typing.get_origin(tp)
    if origin is dict:
        out.append(typing.get_args(tp)[1])
    elif origin is list and isinstance(part, int):
        out.append(typing.get_args(tp)[0])
    elif _is_union(tp):
        for a in typing.get_args(tp):
            if not _models(a):
                out.extend(_step(a, part))
    return out


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)
