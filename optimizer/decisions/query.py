"""Reading the decision log back: the read API for `plantloop log`, the console and exports.

Every function opens the file read-only (a read-only copy works too) and closes it again.
Times are ISO 8601 strings in UTC with their offset (``+00:00``).

- ``read_log``      one row per finished cycle (summary columns), optionally one tag's row
- ``read_records``  full records as dicts, the shape of ``DecisionRecord.to_dict()``
                    plus ``id`` and ``hash`` (see docs/decision-log.md)
- ``read_intents``  the intents (what a cycle was about to write) with their cycle numbers

The records flattened for export: ``optimizer.decisions.export``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.decisions import codec
from optimizer.decisions.schema import (
    CYCLE_COLUMNS,
    INPUT_COLUMNS,
    SETPOINT_COLUMNS,
    TAG_BITS,
    check_schema,
)
from optimizer.errors import InputError

MASK = (1 << TAG_BITS) - 1

SUMMARY_COLUMNS = (
    "run_id",
    "cycle",
    "started",
    "ended",
    "outcome",
    "reasons",
    "objective",
    "gap",
    "solve_time_s",
    "solver_status",
    "mode",
    "sequence",
    "watchdog",
    "config_hash",
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


def _filters(
    since: datetime | None, until: datetime | None, outcome: str | None, kind: str = "cycle"
) -> tuple[list[str], list[Any]]:
    where, args = ["c.kind = ?"], [kind]
    if since is not None:
        where.append("c.started >= ?")
        args.append(codec.utc(since))
    if until is not None:
        where.append("c.started < ?")
        args.append(codec.utc(until))
    if outcome is not None:
        where.append("c.outcome = ?")
        args.append(outcome)
    return where, args


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
    db = open_log(Path(path))
    try:
        where, args = _filters(since, until, outcome)
        cols = ", ".join(f"c.{c}" for c in SUMMARY_COLUMNS)
        join, extra_cols, kind = "", "", ""
        if tag is not None:
            kind, tag_id = _tag_kind(db, tag)
            if kind == "setpoints":
                extra_cols = ", " + ", ".join(f"s.{c}" for c in SETPOINT_COLUMNS)
                join = f"JOIN setpoints s ON s.key = (c.id << {TAG_BITS}) | ?"
            else:
                extra_cols = ", " + ", ".join(f"i.{c}" for c in INPUT_COLUMNS)
                join = f"JOIN inputs i ON i.key = (c.id << {TAG_BITS}) | ?"
            args.insert(0, tag_id)
        sql = f"SELECT {cols}{extra_cols} FROM cycles c {join} WHERE {' AND '.join(where)}"
        sql += " ORDER BY c.id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = db.execute(sql, args).fetchall()[::-1]
        names = _names(db) if kind == "inputs" else {}
    finally:
        db.close()
    n = len(SUMMARY_COLUMNS)
    out: list[dict[str, Any]] = []
    for r in rows:
        d = dict(zip(SUMMARY_COLUMNS, r[:n], strict=True))
        d["reasons"] = "; ".join(json.loads(d["reasons"]))
        if kind == "setpoints":
            d |= {k: v for k, v in codec.setpoint_dict(str(tag), r[n:]).items() if k != "tag"}
        elif kind == "inputs":
            status = names.get(r[n + 3])
            base = codec.from_iso_micros(d["started"])
            inp = codec.input_dict(str(tag), status, base, r[n:])
            d |= {k: v for k, v in inp.items() if k != "tag"}
        out.append(d)
    cols_out = list(SUMMARY_COLUMNS)
    if kind == "setpoints":
        cols_out += list(SETPOINT_COLUMNS)
    elif kind == "inputs":
        cols_out += ["value", "quality", "status", "source_ts", "used", "issue", "substituted"]
    return pd.DataFrame(out, columns=cols_out)


def read_records(
    path: str | Path,
    cycles: Iterable[int] | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    outcome: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Full cycle records, oldest first, each as ``DecisionRecord.to_dict()`` + id, hash."""
    db = open_log(Path(path))
    try:
        where, args = _filters(since, until, outcome)
        if cycles is not None:
            wanted = sorted(set(cycles))
            where.append(f"c.cycle IN ({', '.join('?' * len(wanted))})")
            args.extend(wanted)
        return _records(db, where, args, limit)
    finally:
        db.close()


def read_intents(path: str | Path, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Intents, oldest first: run_id, cycle, at, outcome planned, writes, sequence, watchdog."""
    db = open_log(Path(path))
    try:
        sql = (
            "SELECT id, run_id, cycle, started, outcome, detail, sequence, watchdog "
            "FROM cycles WHERE kind = 'intent' ORDER BY id DESC"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = db.execute(sql).fetchall()[::-1]
    finally:
        db.close()
    return [
        {
            "id": r[0],
            "run_id": r[1],
            "cycle": r[2],
            "at": r[3],
            "outcome": r[4],
            "writes": codec.unpack(r[5])["writes"],
            "sequence": r[6],
            "watchdog": r[7],
        }
        for r in rows
    ]


def _records(
    db: sqlite3.Connection,
    where: Sequence[str],
    args: Sequence[Any],
    limit: int | None,
    input_tags: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """``input_tags``: only these tags' input rows (None: all). The console reads a cycle
    after every cycle; at 1,000 tags decoding every input row would cost the loop ~10 ms."""
    cols = ", ".join(f"c.{c}" for c in CYCLE_COLUMNS)
    sql = f"SELECT c.id, {cols}, c.hash FROM cycles c WHERE {' AND '.join(where)} ORDER BY c.id"
    if limit is not None:
        sql = f"SELECT * FROM ({sql} DESC LIMIT {int(limit)}) ORDER BY id"
    rows = db.execute(sql, list(args)).fetchall()
    if not rows:
        return []
    names = _names(db)
    started_at = 1 + CYCLE_COLUMNS.index("started")
    starts = {r[0]: codec.from_iso_micros(r[started_at]) for r in rows}
    lo, hi = rows[0][0], rows[-1][0]
    sps: dict[int, list[dict[str, Any]]] = {}
    for r in db.execute(
        f"SELECT key >> {TAG_BITS}, key & {MASK}, {', '.join(SETPOINT_COLUMNS)} FROM setpoints "
        "WHERE key >= ? AND key < ? ORDER BY key",
        (lo << TAG_BITS, (hi + 1) << TAG_BITS),
    ):
        if r[0] in starts:  # the range may hold cycles the filters left out
            sps.setdefault(r[0], []).append(codec.setpoint_dict(names[r[1]], r[2:]))
    ins: dict[int, list[dict[str, Any]]] = {}
    only = ""
    if input_tags is not None:
        ids = [i for i, n in names.items() if n in set(input_tags)]
        only = f" AND (key & {MASK}) IN ({', '.join(str(int(i)) for i in ids) or 'NULL'})"
    for r in db.execute(
        f"SELECT key >> {TAG_BITS}, key & {MASK}, {', '.join(INPUT_COLUMNS)} FROM inputs "
        f"WHERE key >= ? AND key < ?{only} ORDER BY key",
        (lo << TAG_BITS, (hi + 1) << TAG_BITS),
    ):
        base = starts.get(r[0])
        if base is not None:
            ins.setdefault(r[0], []).append(
                codec.input_dict(names[r[1]], names.get(r[5]), base, r[2:])
            )
    out = []
    for r in rows:
        c = dict(zip(CYCLE_COLUMNS, r[1:-1], strict=True))
        rec: dict[str, Any] = {
            "id": r[0],
            "run_id": c["run_id"],
            "cycle": c["cycle"],
            "started": c["started"],
            "ended": c["ended"],
            "outcome": c["outcome"],
            "reasons": json.loads(c["reasons"]),
            "config_hash": c["config_hash"],
            "mode": c["mode"],
            "sequence": c["sequence"],
            "watchdog": c["watchdog"],
            "inputs": ins.get(r[0], []),
            "setpoints": sps.get(r[0], []),
            "hash": r[-1],
        }
        rec |= codec.unpack(c["detail"])
        out.append(rec)
    return out


def open_log(path: Path) -> sqlite3.Connection:
    """Open read-only; a copy on read-only media opens as immutable. One-line errors."""
    if not path.exists():
        raise InputError(f"{path}: no such decision log")
    last: sqlite3.Error | None = None
    for mode in ("mode=ro", "immutable=1"):
        wal = Path(f"{path}-wal")
        if mode == "immutable=1" and wal.exists() and wal.stat().st_size > 0:
            # immutable ignores the -wal: the newest records would be missing, silently
            raise InputError(
                f"{path}: cannot open read-only here ({last}) and its -wal holds records "
                'not yet in the file; copy it with `sqlite3 FILE ".backup COPY"` first'
            )
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
            db.execute("SELECT 1 FROM cycles LIMIT 1")
        except sqlite3.OperationalError as e:
            if db is not None:
                db.close()
            last = e
            if "no such table" in str(e):
                break
            continue
        except sqlite3.DatabaseError as e:
            if db is not None:
                db.close()
            raise InputError(f"{path}: not a plantloop decision log ({e})") from None
        try:
            check_schema(db, path)
        except InputError:
            db.close()
            raise
        return db
    raise InputError(f"{path}: not a plantloop decision log ({last})")


def _names(db: sqlite3.Connection) -> dict[int, str]:
    return dict(db.execute("SELECT id, name FROM names").fetchall())


def _tag_kind(db: sqlite3.Connection, tag: str) -> tuple[str, int]:
    r = db.execute("SELECT id FROM names WHERE name = ?", (tag,)).fetchone()
    if r is not None:
        newest = db.execute("SELECT MAX(id) FROM cycles WHERE kind = 'cycle'").fetchone()[0]
        for table in ("setpoints", "inputs"):  # the newest cycle first: one row lookup
            key = (int(newest or 0) << TAG_BITS) | int(r[0])
            if db.execute(f"SELECT 1 FROM {table} WHERE key = ?", (key,)).fetchone():
                return table, int(r[0])
        for table in ("setpoints", "inputs"):  # a tag no longer configured: search
            if db.execute(
                f"SELECT 1 FROM {table} WHERE key & {MASK} = ? LIMIT 1", (r[0],)
            ).fetchone():
                return table, int(r[0])
    raise InputError(f"--tag {tag}: no such tag in this decision log")


# --- reads for the console: by row id (unique across runs), newest first where it matters --


def cycle_summaries(
    path: str | Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    outcome: str | None = None,
    after_id: int | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """The newest ``limit`` cycles (oldest first): ``id`` and the summary columns, reasons
    as a list."""
    db = open_log(Path(path))
    try:
        where, args = _filters(since, until, outcome)
        if after_id is not None:
            where.append("c.id > ?")
            args.append(after_id)
        cols = ", ".join(f"c.{c}" for c in SUMMARY_COLUMNS)
        rows = db.execute(
            f"SELECT c.id, {cols} FROM cycles c WHERE {' AND '.join(where)} "
            "ORDER BY c.id DESC LIMIT ?",
            [*args, int(limit)],
        ).fetchall()[::-1]
    finally:
        db.close()
    out = []
    for r in rows:
        d: dict[str, Any] = {"id": r[0], **dict(zip(SUMMARY_COLUMNS, r[1:], strict=True))}
        d["reasons"] = json.loads(d["reasons"])
        out.append(d)
    return out


def cycle_record(
    path: str | Path, cycle_id: int | None = None, *, input_tags: Collection[str] | None = None
) -> dict[str, Any] | None:
    """One cycle record by row id (the newest with ``None``); None if there is none. With
    ``input_tags`` only those tags' inputs."""
    db = open_log(Path(path))
    try:
        if cycle_id is None:
            recs = _records(db, ["c.kind = ?"], ["cycle"], 1, input_tags)
        else:
            where = ["c.kind = ?", "c.id = ?"]
            recs = _records(db, where, ["cycle", cycle_id], None, input_tags)
    finally:
        db.close()
    return recs[0] if recs else None


def run_limits(path: str | Path, run_id: str) -> dict[str, Any] | None:
    """The limits block of a run (kept in its first cycle record); None if not recorded
    (an older log, or that record was pruned)."""
    db = open_log(Path(path))
    try:
        row = db.execute(
            "SELECT MIN(id) FROM cycles WHERE kind = 'cycle' AND run_id = ?", (run_id,)
        ).fetchone()
        recs = _records(db, ["c.id = ?"], [row[0]], None, ()) if row and row[0] else []
    finally:
        db.close()
    limits = recs[0].get("limits") if recs else None
    return limits if isinstance(limits, dict) else None


def records_after(
    path: str | Path, after_id: int, *, input_tags: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Cycle records with row id > ``after_id``, oldest first (inputs: see cycle_record)."""
    db = open_log(Path(path))
    try:
        return _records(db, ["c.kind = ?", "c.id > ?"], ["cycle", after_id], None, input_tags)
    finally:
        db.close()


def records_until(
    path: str | Path, until_id: int, limit: int, *, input_tags: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """The ``limit`` newest cycle records with row id <= ``until_id``, oldest first."""
    db = open_log(Path(path))
    try:
        where = ["c.kind = ?", "c.id <= ?"]
        return _records(db, where, ["cycle", until_id], limit, input_tags)
    finally:
        db.close()


def last_id(path: str | Path) -> int:
    """Row id of the newest cycle record (0 for a log without one)."""
    db = open_log(Path(path))
    try:
        row = db.execute("SELECT MAX(id) FROM cycles WHERE kind = 'cycle'").fetchone()
    finally:
        db.close()
    return int(row[0] or 0)
