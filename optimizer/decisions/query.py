"""Reading the decision log back for review and export (pandas)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from optimizer.errors import InputError

_CYCLE_COLUMNS = (
    "c.cycle, c.started, c.ended, c.outcome, c.reasons, c.objective, c.gap, "
    "c.solve_time_s, c.solver_status, c.run_id, c.config_hash"
)


def parse_time(text: str, what: str) -> datetime:
    """ISO date/time (naive = UTC) -> aware UTC datetime; clear error otherwise."""
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{what}: expected an ISO date/time like 2026-11-25 or 2026-11-25T14:00 (got {text!r})"
        ) from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def read_log(
    path: str | Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    tag: str | None = None,
    outcome: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """One row per cycle; with ``tag``, that tag's setpoint or input columns beside it."""
    db = _open(Path(path))
    try:
        where, args = [], []
        if since is not None:
            where.append("c.started >= ?")
            args.append(since.isoformat(timespec="microseconds"))
        if until is not None:
            where.append("c.started < ?")
            args.append(until.isoformat(timespec="microseconds"))
        if outcome is not None:
            where.append("c.outcome = ?")
            args.append(outcome)
        cols, join = _CYCLE_COLUMNS, ""
        if tag is not None:
            kind = _tag_kind(db, tag)
            if kind == "setpoints":
                cols += (
                    ", s.current, s.proposed, s.clamped_to, s.written, s.read_back, "
                    "s.write_status, s.reason"
                )
                join = "JOIN setpoints s ON s.cycle_id = c.id AND s.tag = ?"
            else:
                cols += ", i.value, i.quality, i.status, i.source_ts, i.used, i.issue"
                join = "JOIN inputs i ON i.cycle_id = c.id AND i.tag = ?"
            args.insert(0, tag)
        sql = f"SELECT {cols} FROM cycles c {join}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY c.id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        df = pd.read_sql_query(sql, db, params=args).iloc[::-1].reset_index(drop=True)
    finally:
        db.close()
    df["reasons"] = df["reasons"].map(lambda s: "; ".join(json.loads(s)))
    return df


def read_records(path: str | Path, cycles: list[int] | None = None) -> list[dict[str, object]]:
    """Full records (as stored JSON) for replay and export."""
    db = _open(Path(path))
    try:
        rows = db.execute("SELECT record FROM cycles ORDER BY id").fetchall()
    finally:
        db.close()
    recs = [json.loads(r[0]) for r in rows]
    return [r for r in recs if cycles is None or r["cycle"] in cycles]


def _open(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise InputError(f"{path}: no such decision log")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db.execute("SELECT 1 FROM cycles LIMIT 1")
    except sqlite3.DatabaseError as e:
        raise InputError(f"{path}: not a plantloop decision log ({e})") from None
    return db


def _tag_kind(db: sqlite3.Connection, tag: str) -> str:
    if db.execute("SELECT 1 FROM setpoints WHERE tag = ? LIMIT 1", (tag,)).fetchone():
        return "setpoints"
    if db.execute("SELECT 1 FROM inputs WHERE tag = ? LIMIT 1", (tag,)).fetchone():
        return "inputs"
    raise InputError(f"--tag {tag}: no such tag in this decision log")
