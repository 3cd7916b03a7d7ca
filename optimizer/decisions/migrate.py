"""Convert a decision log written by an earlier plantloop (schema 1) into schema 2.

Schema 1 kept every record as JSON in ``cycles.record`` (no chain, values as text). Each
record is read back into a ``DecisionRecord`` and appended to a new file, oldest first, so
the new file is chained from the migration on (the old file had no chain to carry over).
Schema 1's ``written`` was the value sent; it becomes ``sent``, and ``written`` only where
the server acknowledged it Good. Cycle numbers are kept as they were (schema 1 restarted
them at 1 each run); a loop started on the new file continues after the highest one.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from optimizer.decisions.record import DecisionRecord, InputRecord, SetpointRecord, SolverRecord
from optimizer.decisions.store import DecisionLog
from optimizer.errors import InputError


def migrate(old: Path, new: Path) -> int:
    """Append every record of ``old`` (schema 1) to the new file ``new``; returns the count."""
    if new.exists():
        raise InputError(f"{new}: exists; migrate into a new file")
    if not old.exists():
        raise InputError(f"{old}: no such decision log")
    try:
        src = sqlite3.connect(f"{old.resolve().as_uri()}?mode=ro", uri=True)
        cols = {r[1] for r in src.execute("PRAGMA table_info(cycles)")}
    except sqlite3.DatabaseError as e:
        raise InputError(f"{old}: not a plantloop decision log ({e})") from None
    if "record" not in cols:
        src.close()
        raise InputError(f"{old}: not a schema-1 decision log (nothing to migrate)")
    log = DecisionLog(new)
    n = 0
    try:
        for (text,) in src.execute("SELECT record FROM cycles ORDER BY id"):
            try:
                rec = record_from_v1(json.loads(text))
            except (KeyError, TypeError, ValueError) as e:
                raise InputError(f"{old}: record {n + 1} cannot be read ({e})") from None
            log.append(rec)
            n += 1
    finally:
        src.close()
        log.close()
    return n


def record_from_v1(d: Mapping[str, Any]) -> DecisionRecord:
    solver = d.get("solver")
    fields: dict[str, Any] = {
        "run_id": d["run_id"],
        "cycle": int(d["cycle"]),
        "started": datetime.fromisoformat(d["started"]),
        "ended": datetime.fromisoformat(d["ended"]),
        "outcome": d["outcome"],
        "reasons": tuple(d["reasons"]),
        "config_hash": d["config_hash"],
        "mode": d["mode"],
        "faults": tuple(d.get("faults", ())),
        "inputs": tuple(_input(i) for i in d.get("inputs", ())),
        "solver": _solver(solver) if solver else None,
        "setpoints": tuple(_setpoint(s) for s in d.get("setpoints", ())),
        "watchdog": d.get("watchdog"),
        "sequence": d.get("sequence"),
        "phase_seconds": dict(d.get("phase_seconds", {})),
    }
    known = {f.name for f in dataclasses.fields(DecisionRecord)}
    for k, v in d.items():  # later additions (e.g. the plan) carried over when known
        if k in known and k not in fields:
            fields[k] = v
    return DecisionRecord(**fields)


def _num(v: Any) -> Any:
    """Schema 1 wrote NaN/inf as text and arrays as lists."""
    if isinstance(v, str) and v.lower() in ("nan", "inf", "-inf"):
        return float(v)
    if isinstance(v, list):
        return tuple(_num(x) for x in v)
    return v


def _input(i: Mapping[str, Any]) -> InputRecord:
    ts = i.get("source_ts")
    return InputRecord(
        tag=i["tag"],
        value=_num(i["value"]),
        quality=i["quality"],
        status=i["status"],
        source_ts=datetime.fromisoformat(ts) if ts else None,
        used=_num(i["used"]),
        issue=i.get("issue", ""),
        substituted=bool(i.get("substituted", False)),
    )


def _setpoint(s: Mapping[str, Any]) -> SetpointRecord:
    sent = _num(s["written"])
    acknowledged = s.get("write_status") == "Good"
    return SetpointRecord(
        tag=s["tag"],
        current=_num(s["current"]),
        proposed=_num(s["proposed"]),
        clamped_to=_num(s["clamped_to"]),
        sent=sent,
        written=sent if acknowledged else None,
        read_back=_num(s["read_back"]),
        write_status=s["write_status"],
        reason=s.get("reason", ""),
    )


def _solver(s: Mapping[str, Any]) -> SolverRecord:
    def floats(m: Mapping[str, Any]) -> dict[str, float]:
        return {k: float(_num(v)) for k, v in m.items()}

    def opt(v: Any) -> float | None:
        x = _num(v)
        return None if x is None else float(x)

    return SolverRecord(
        status=s["status"],
        termination=s["termination"],
        attempt=s["attempt"],
        has_safe_plan=bool(s["has_safe_plan"]),
        message=s["message"],
        objective=opt(s.get("objective")),
        bound=opt(s.get("bound")),
        gap=opt(s.get("gap")),
        solve_time_s=opt(s.get("solve_time_s")),
        wall_time_s=opt(s.get("wall_time_s")),
        terms=floats(s.get("terms", {})),
        tiers=floats(s.get("tiers", {})),
        relaxed=tuple(dict(r) for r in s.get("relaxed", ())),
        why=tuple(s.get("why", ())),
        cv_predictions=floats(s.get("cv_predictions", {})),
        unmet=floats(s.get("unmet", {})),
    )
