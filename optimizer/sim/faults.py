"""Faults the simulator can inject on a tag, applied when the tag is read. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    NONE = "none"
    BAD = "bad"  # status BadSensorFailure, value kept
    UNCERTAIN = "uncertain"  # status UncertainLastUsableValue
    STALE = "stale"  # source timestamp freezes (value keeps moving)
    FREEZE = "freeze"  # value freezes (timestamp keeps moving)
    NAN = "nan"  # value NaN (Double tags), status Good


STATUS_OF = {FaultKind.BAD: "BadSensorFailure", FaultKind.UNCERTAIN: "UncertainLastUsableValue"}


@dataclass(frozen=True, kw_only=True)
class Fault:
    kind: FaultKind
    value: Any  # value when injected (for FREEZE)
    source_ts: datetime  # timestamp when injected (for STALE)


def apply(fault: Fault | None, value: Any, source_ts: datetime) -> tuple[Any, str, datetime]:
    """(value, status name, source timestamp) of a read under ``fault``."""
    if fault is None or fault.kind is FaultKind.NONE:
        return value, "Good", source_ts
    k = fault.kind
    if k in STATUS_OF:
        return value, STATUS_OF[k], source_ts
    if k is FaultKind.STALE:
        return value, "Good", fault.source_ts
    if k is FaultKind.FREEZE:
        return fault.value, "Good", source_ts
    if isinstance(value, tuple):
        return tuple(float("nan") for _ in value), "Good", source_ts
    if isinstance(value, float):
        return float("nan"), "Good", source_ts
    return value, "Good", source_ts  # NaN on a Boolean/UInt32 tag: no effect


def parse_fault(text: str) -> tuple[str, FaultKind]:
    """'TAG=bad' -> ('TAG', FaultKind.BAD); ValueError with a one-line message."""
    tag, sep, kind = text.partition("=")
    if not sep or not tag:
        raise ValueError(f"fault must be TAG=KIND (got {text!r})")
    try:
        return tag, FaultKind(kind.strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in FaultKind)
        raise ValueError(f"unknown fault kind {kind!r} for {tag} (use one of {kinds})") from None
