"""The decision log: an append-only SQLite file, one transaction per cycle.

WAL journal with ``synchronous=FULL``: a record is on disk when ``append`` returns, so a
kill -9 (or a power cut) leaves every finished cycle readable; a half-written cycle is
rolled back by SQLite on the next open. Three tables: ``cycles`` (one row per cycle, the
full record as JSON in ``record``), ``setpoints`` and ``inputs`` (one row per tag, for
queries by tag).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from optimizer.decisions.record import DecisionRecord
from optimizer.errors import InputError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cycles (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    started TEXT NOT NULL,
    ended TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reasons TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    mode TEXT NOT NULL,
    solver_status TEXT,
    objective REAL,
    gap REAL,
    solve_time_s REAL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cycles_started ON cycles(started);
CREATE TABLE IF NOT EXISTS setpoints (
    cycle_id INTEGER NOT NULL REFERENCES cycles(id),
    tag TEXT NOT NULL,
    current REAL, proposed REAL, clamped_to REAL, written REAL, read_back REAL,
    write_status TEXT, reason TEXT
);
CREATE INDEX IF NOT EXISTS setpoints_tag ON setpoints(tag, cycle_id);
CREATE TABLE IF NOT EXISTS inputs (
    cycle_id INTEGER NOT NULL REFERENCES cycles(id),
    tag TEXT NOT NULL,
    value TEXT, quality TEXT, status TEXT, source_ts TEXT, used TEXT, issue TEXT
);
CREATE INDEX IF NOT EXISTS inputs_tag ON inputs(tag, cycle_id);
CREATE TRIGGER IF NOT EXISTS cycles_append_only BEFORE UPDATE ON cycles
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
"""


class DecisionLog:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as e:
            raise InputError(f"{self.path}: cannot open the decision log ({e})") from None

    def append(self, rec: DecisionRecord) -> None:
        d = rec.to_dict()
        s = rec.solver
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            cur = db.execute(
                "INSERT INTO cycles (run_id, cycle, started, ended, outcome, reasons, "
                "config_hash, mode, solver_status, objective, gap, solve_time_s, record) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rec.run_id,
                    rec.cycle,
                    _utc(rec.started),
                    _utc(rec.ended),
                    rec.outcome,
                    json.dumps(list(rec.reasons)),
                    rec.config_hash,
                    rec.mode,
                    s.status if s else None,
                    _real(s.objective) if s else None,
                    _real(s.gap) if s else None,
                    _real(s.solve_time_s) if s else None,
                    json.dumps(d, allow_nan=False),
                ),
            )
            cid = cur.lastrowid
            db.executemany(
                "INSERT INTO setpoints VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        cid,
                        p.tag,
                        _real(p.current),
                        _real(p.proposed),
                        _real(p.clamped_to),
                        _real(p.written),
                        _real(p.read_back),
                        p.write_status,
                        p.reason,
                    )
                    for p in rec.setpoints
                ],
            )
            db.executemany(
                "INSERT INTO inputs VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        cid,
                        i["tag"],
                        json.dumps(i["value"]),
                        i["quality"],
                        i["status"],
                        i["source_ts"],
                        json.dumps(i["used"]),
                        i["issue"],
                    )
                    for i in d["inputs"]
                ],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def prune(self, retention_days: int, keep_run: str | None = None) -> int:
        """Delete cycles older than the retention (never the current run's). Returns count."""
        cutoff = _utc(datetime.now(UTC) - timedelta(days=retention_days))
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            ids = "SELECT id FROM cycles WHERE started < ? AND run_id != ?"
            args = (cutoff, keep_run or "")
            db.execute(f"DELETE FROM setpoints WHERE cycle_id IN ({ids})", args)
            db.execute(f"DELETE FROM inputs WHERE cycle_id IN ({ids})", args)
            n = db.execute("DELETE FROM cycles WHERE started < ? AND run_id != ?", args).rowcount
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return int(n)

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM cycles").fetchone()[0])

    def close(self) -> None:
        self._db.close()


def _utc(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="microseconds")


def _real(v: float | None) -> float | None:
    if v is None:
        return None
    x = float(v)
    return x if x == x and x not in (float("inf"), float("-inf")) else None
