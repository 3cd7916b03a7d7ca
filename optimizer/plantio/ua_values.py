"""Between OPC UA Variants and the engine's values: types, quality, read-back comparison."""

from __future__ import annotations

import math
from typing import Any

from asyncua import ua

from optimizer.errors import WriteRefused
from optimizer.plantio.types import Quality, Value

_INTS = {
    ua.VariantType.SByte,
    ua.VariantType.Byte,
    ua.VariantType.Int16,
    ua.VariantType.UInt16,
    ua.VariantType.Int32,
    ua.VariantType.UInt32,
    ua.VariantType.Int64,
    ua.VariantType.UInt64,
}
_FLOATS = {ua.VariantType.Float, ua.VariantType.Double}


def quality_of(status: ua.StatusCode) -> Quality:
    if status.is_good():
        return Quality.GOOD
    if status.is_uncertain():
        return Quality.UNCERTAIN
    return Quality.BAD


def from_variant(v: ua.Variant) -> Value:
    x = v.Value
    if isinstance(x, bool):
        return x
    if isinstance(x, int | float):
        return float(x) if isinstance(x, float) else int(x)
    if isinstance(x, list | tuple):
        try:
            return tuple(float(e) for e in x)
        except (TypeError, ValueError):
            return None
    return None


def to_variant(
    value: float | int | bool, vtype: ua.VariantType, tag: str
) -> tuple[ua.Variant, Any]:
    """A Variant of the node's own type (asyncua would send a Python int as Int64)."""
    if vtype is ua.VariantType.Boolean:
        py: Any = bool(value)
    elif vtype in _INTS:
        if isinstance(value, float) and value != round(value):
            raise WriteRefused(f"tag {tag}: node is {vtype.name}; {value} is not a whole number")
        py = round(value)
    elif vtype in _FLOATS:
        py = float(value)
    else:
        raise WriteRefused(f"tag {tag}: node data type {vtype.name} cannot take a number")
    return ua.Variant(py, vtype), py


def values_match(sent: Any, back: Value, vtype: ua.VariantType) -> bool:
    if back is None or isinstance(back, tuple):
        return False
    if vtype is ua.VariantType.Float:
        return math.isclose(float(back), float(sent), rel_tol=1e-6, abs_tol=1e-6)
    if vtype is ua.VariantType.Double:
        return math.isclose(float(back), float(sent), rel_tol=1e-12, abs_tol=1e-12)
    return bool(back == sent)
