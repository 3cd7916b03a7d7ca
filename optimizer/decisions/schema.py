"""The decision log's file layout (schema 2): tables, columns, guards, version check.

See docs/decision-log.md for what each column holds. Shared by the writer (``store``), the
readers (``query``) and the chain check (``chain``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from optimizer.errors import InputError

SCHEMA_VERSION = 2
TAG_BITS = 20  # child rows are keyed cycle_id << TAG_BITS | tag_id
PAGE_SIZE = 16384  # a cycle's compressed detail (2-20 kB) packs into pages with little slack

TABLES = ("names", "cycles", "setpoints", "inputs")
CYCLE_COLUMNS = (
    "kind",
    "run_id",
    "cycle",
    "started",
    "ended",
    "outcome",
    "reasons",
    "config_hash",
    "mode",
    "solver_status",
    "objective",
    "gap",
    "solve_time_s",
    "sequence",
    "watchdog",
    "detail",
)
SETPOINT_COLUMNS = (
    "current",
    "proposed",
    "clamped_to",
    "sent",
    "written",
    "read_back",
    "write_status",
    "reason",
)
INPUT_COLUMNS = (
    "value",
    "used",
    "quality",
    "status_id",
    "source_age_us",
    "flags",
    "extra",
    "issue",
)

TABLES_SQL = f"""
CREATE TABLE IF NOT EXISTS names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS cycles (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    run_id TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    started TEXT NOT NULL,
    ended TEXT,
    outcome TEXT,
    reasons TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    mode TEXT NOT NULL,
    solver_status TEXT,
    objective REAL,
    gap REAL,
    solve_time_s REAL,
    sequence INTEGER,
    watchdog INTEGER,
    detail BLOB NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cycles_started ON cycles(started);
CREATE INDEX IF NOT EXISTS cycles_cycle ON cycles(cycle);
CREATE TABLE IF NOT EXISTS setpoints (
    key INTEGER PRIMARY KEY,  -- cycle_id << 20 | tag_id: appended in order, pages stay full
    current REAL, proposed REAL, clamped_to REAL, sent REAL, written REAL, read_back REAL,
    write_status TEXT, reason TEXT,
    cycle_id INTEGER GENERATED ALWAYS AS (key >> 20) VIRTUAL,
    tag_id INTEGER GENERATED ALWAYS AS (key & 1048575) VIRTUAL
);
CREATE TABLE IF NOT EXISTS inputs (
    key INTEGER PRIMARY KEY,  -- cycle_id << 20 | tag_id
    value REAL, used REAL, quality INTEGER, status_id INTEGER, source_age_us INTEGER,
    flags INTEGER NOT NULL, extra TEXT, issue TEXT,
    cycle_id INTEGER GENERATED ALWAYS AS (key >> 20) VIRTUAL,
    tag_id INTEGER GENERATED ALWAYS AS (key & 1048575) VIRTUAL
);
PRAGMA user_version = {SCHEMA_VERSION};
"""


def _guards() -> str:
    out = []
    for t in TABLES:
        for op in ("UPDATE", "DELETE"):
            out.append(
                f"CREATE TRIGGER IF NOT EXISTS {t}_no_{op.lower()} BEFORE {op} ON {t} "
                f"BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;"
            )
    return "\n".join(out)


GUARDS_SQL = _guards()
GUARD_NAMES = tuple(f"{t}_no_{op}" for t in TABLES for op in ("update", "delete"))


def check_schema(db: sqlite3.Connection, path: Path) -> None:
    """Refuse a log this version cannot append to or read, with one line naming the file."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    has_cycles = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cycles'"
    ).fetchone()
    if version == SCHEMA_VERSION or (version == 0 and not has_cycles):
        return
    if version == 0:
        raise InputError(
            f"{path}: decision log from an earlier plantloop (no record chain, schema 1); "
            f"convert it with `plantloop log {path} --migrate-to NEW.sqlite`"
        )
    raise InputError(
        f"{path}: decision log schema {version} is newer than this plantloop "
        f"(schema {SCHEMA_VERSION}); use a newer plantloop"
    )


def child_rows(db: sqlite3.Connection, table: str, cycle_id: int) -> Sequence[tuple[Any, ...]]:
    cols = SETPOINT_COLUMNS if table == "setpoints" else INPUT_COLUMNS
    lo = cycle_id << TAG_BITS
    return db.execute(
        f"SELECT key - ?, {', '.join(cols)} FROM {table} WHERE key >= ? AND key < ? ORDER BY key",
        (lo, lo, lo + (1 << TAG_BITS)),
    ).fetchall()
