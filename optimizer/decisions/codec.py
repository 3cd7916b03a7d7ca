"""How one record's values become compact SQLite cells and back (numbers stay numbers).

An input row holds the value as REAL (a bool or int flagged so it comes back as itself),
the quality as a small code, the status as an interned name id, the source time as integer
microseconds since the epoch (UTC), and ``used`` only when it differs from the value.
Anything that is not a finite scalar (NaN, inf, an array) goes to the ``extra`` JSON cell
so nothing is lost and the REAL columns stay numeric.
"""

from __future__ import annotations

import json
import math
import zlib
from datetime import UTC, datetime
from typing import Any

from optimizer.decisions.record import InputRecord, SetpointRecord, json_value

QUALITY_CODES = {"good": 0, "uncertain": 1, "bad": 2}
QUALITY_NAMES = {v: k for k, v in QUALITY_CODES.items()}

SUBSTITUTED = 1  # the cycle used a substitute (last good value or prediction)
USED_SAME = 2  # the value used is the value read
VALUE_BOOL = 4
VALUE_INT = 8

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def pack(detail: dict[str, Any]) -> bytes:
    """The record's JSON part (solver, faults, plan, …), zlib-compressed (about 3x)."""
    text = json.dumps(detail, allow_nan=False, separators=(",", ":"))
    return zlib.compress(text.encode(), 6)


def unpack(blob: bytes) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(zlib.decompress(blob))
    return out


def utc(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="microseconds")


def real(v: float | None) -> float | None:
    if v is None:
        return None
    x = float(v)
    return x if math.isfinite(x) else None


def plain(v: Any) -> Any:
    """A JSON-safe plain value (bool/int kept, non-finite floats as text)."""
    return json_value(v)


def micros(t: datetime | None) -> int | None:
    if t is None:
        return None
    d = t.astimezone(UTC) - _EPOCH
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def from_iso_micros(text: str) -> int:
    us = micros(datetime.fromisoformat(text))
    assert us is not None
    return us


def from_micros(us: int) -> str:
    s, u = divmod(int(us), 1_000_000)
    return datetime.fromtimestamp(s, UTC).replace(microsecond=u).isoformat()


def _is_real(v: Any) -> bool:
    return isinstance(v, float) and math.isfinite(v)


def setpoint_row(p: SetpointRecord) -> tuple[Any, ...]:
    return (
        real(p.current),
        real(p.proposed),
        real(p.clamped_to),
        real(p.sent),
        real(p.written),
        real(p.read_back),
        p.write_status,
        p.reason or None,
    )


def setpoint_dict(tag: str, row: tuple[Any, ...]) -> dict[str, Any]:
    current, proposed, clamped_to, sent, written, read_back, status, reason = row
    return {
        "tag": tag,
        "current": current,
        "proposed": proposed,
        "clamped_to": clamped_to,
        "sent": sent,
        "written": written,
        "read_back": read_back,
        "write_status": status,
        "reason": reason or "",
    }


def input_row(i: InputRecord, status_id: int | None, started_us: int) -> tuple[Any, ...]:
    """``started_us``: the cycle's start; the source time is stored as its age (small)."""
    v, used = i.value, i.used
    flags = SUBSTITUTED if i.substituted else 0
    extra: dict[str, Any] = {}
    value: float | None = None
    if isinstance(v, bool):
        value, flags = float(v), flags | VALUE_BOOL
    elif isinstance(v, int) and abs(v) < 2**53:
        value, flags = float(v), flags | VALUE_INT
    elif _is_real(v):
        value = float(v)  # type: ignore[arg-type]
    elif v is not None:
        extra["value"] = json_value(v)
    used_cell: float | None = None
    if type(used) is type(v) and used == v and v is not None:
        flags |= USED_SAME
    elif used is None or (type(used) is float and _is_real(used)):
        used_cell = used
    else:
        extra["used"] = json_value(used)
    q = QUALITY_CODES[i.quality] if i.quality is not None else None
    return (
        value,
        used_cell,
        q,
        status_id,
        started_us - micros(i.source_ts) if i.source_ts is not None else None,  # type: ignore[operator]
        flags,
        json.dumps(extra, allow_nan=False, separators=(",", ":")) if extra else None,
        i.issue or None,
    )


def input_dict(
    tag: str, status: str | None, started_us: int, row: tuple[Any, ...]
) -> dict[str, Any]:
    value, used, q, _status_id, age_us, flags, extra_text, issue = row
    extra = json.loads(extra_text) if extra_text else {}
    if "value" in extra:
        v = extra["value"]
    elif value is not None and flags & VALUE_BOOL:
        v = bool(value)
    elif value is not None and flags & VALUE_INT:
        v = int(value)
    else:
        v = value
    if flags & USED_SAME:
        u = v
    elif "used" in extra:
        u = extra["used"]
    else:
        u = used
    return {
        "tag": tag,
        "value": v,
        "quality": QUALITY_NAMES.get(q) if q is not None else None,
        "status": status,
        "source_ts": from_micros(started_us - age_us) if age_us is not None else None,
        "used": u,
        "issue": issue or "",
        "substituted": bool(flags & SUBSTITUTED),
    }
