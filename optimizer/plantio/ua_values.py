"""Between OPC UA Variants and the engine's values: types, quality, read-back comparison."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from numbers import Integral, Real
from typing import Any

from asyncua import ua

from optimizer.config.schema import PlantConfig
from optimizer.errors import NodeError, WriteRefused
from optimizer.plantio.types import Quality, Value

INT_RANGES: dict[ua.VariantType, tuple[int, int]] = {
    ua.VariantType.SByte: (-(2**7), 2**7 - 1),
    ua.VariantType.Byte: (0, 2**8 - 1),
    ua.VariantType.Int16: (-(2**15), 2**15 - 1),
    ua.VariantType.UInt16: (0, 2**16 - 1),
    ua.VariantType.Int32: (-(2**31), 2**31 - 1),
    ua.VariantType.UInt32: (0, 2**32 - 1),
    ua.VariantType.Int64: (-(2**63), 2**63 - 1),
    ua.VariantType.UInt64: (0, 2**64 - 1),
}
_FLOATS = {ua.VariantType.Float, ua.VariantType.Double}
_FLOAT32_MAX = 3.4028234663852886e38
# the largest counter value a node of this type holds exactly
_EXACT_MAX = {ua.VariantType.Boolean: 1, ua.VariantType.Float: 2**24, ua.VariantType.Double: 2**53}


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
    if isinstance(x, datetime):  # a DateTime node (a plant clock): seconds since 1970 UTC
        return (x if x.tzinfo is not None else x.replace(tzinfo=UTC)).timestamp()
    if isinstance(x, list | tuple):
        try:
            return tuple(float(e) for e in x)
        except (TypeError, ValueError):
            return None
    return None


def to_variant(value: Any, vtype: ua.VariantType, tag: str) -> tuple[ua.Variant, Any]:
    """A Variant of the node's own type (asyncua would send a Python int as Int64).

    Refuses (``WriteRefused``, nothing sent) what the node cannot hold exactly: a value that
    is not a real number, NaN/inf of any numeric type (numpy, Decimal), anything but a bool
    or exactly 0/1 for a Boolean node, a fraction or an out-of-range value for an integer
    node, a magnitude a Float node would turn into inf."""
    number = _real(value, tag)
    if vtype is ua.VariantType.Boolean:
        if isinstance(value, bool):
            py: Any = value
        elif number in (0.0, 1.0):
            py = number == 1.0
        else:
            raise WriteRefused(f"tag {tag}: refused, node is Boolean and {value!r} is not 0 or 1")
    elif vtype in INT_RANGES:
        if isinstance(value, Integral):
            py = int(value)
        elif number == round(number):
            py = int(Decimal(value)) if isinstance(value, Decimal) else round(number)
        else:
            raise WriteRefused(f"tag {tag}: refused, node is {vtype.name}; {value} is not whole")
        lo, hi = INT_RANGES[vtype]
        if not lo <= py <= hi:
            raise WriteRefused(
                f"tag {tag}: refused, {py} is outside the {vtype.name} range {lo}..{hi}"
            )
    elif vtype in _FLOATS:
        py = number
        if vtype is ua.VariantType.Float and abs(py) > _FLOAT32_MAX:
            raise WriteRefused(f"tag {tag}: refused, {value} does not fit a Float node")
    else:
        raise WriteRefused(f"tag {tag}: node data type {vtype.name} cannot take a number")
    return ua.Variant(py, vtype), py


def _real(value: Any, tag: str) -> float:
    """``value`` as a finite float; bools count as 0/1."""
    if not isinstance(value, Real | Decimal):
        raise WriteRefused(f"tag {tag}: refused, {value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise WriteRefused(f"tag {tag}: refused, value {value} is not finite")
    return number


def counters_fit(cfg: PlantConfig, vtypes: Mapping[str, ua.VariantType]) -> None:
    """At connect: the watchdog counter (0..modulo-1) and the sequence number (0..2^31-1)
    must fit their nodes' types, or every cycle's batch would be refused."""
    from optimizer.interlocks.plant import SEQUENCE_MODULO

    il = cfg.interlocks
    counters = []
    if il.watchdog is not None:
        counters.append(("interlocks.watchdog.modulo", il.watchdog.tag, il.watchdog.modulo))
    if il.sequence_tag is not None:
        counters.append(("interlocks.sequence_tag", il.sequence_tag, SEQUENCE_MODULO))
    for where, tag, modulo in counters:
        vtype = vtypes.get(tag)
        if vtype is None:
            continue
        top = _EXACT_MAX.get(vtype, INT_RANGES.get(vtype, (0, 0))[1])
        if modulo - 1 > top:
            fix = (
                f"set modulo to at most {top + 1}"
                if where.endswith("modulo")
                else f"give the sequence a node of 32 bits or more (it counts to {modulo - 1})"
            )
            raise NodeError(
                f"{where}: counter up to {modulo - 1} does not fit tag {tag}, whose node is "
                f"{vtype.name} (at most {top}); {fix}"
            )


def values_match(sent: Any, back: Value, vtype: ua.VariantType) -> bool:
    if back is None or isinstance(back, tuple):
        return False
    if vtype is ua.VariantType.Float:
        return math.isclose(float(back), float(sent), rel_tol=1e-6, abs_tol=1e-6)
    if vtype is ua.VariantType.Double:
        return math.isclose(float(back), float(sent), rel_tol=1e-12, abs_tol=1e-12)
    return bool(back == sent)
