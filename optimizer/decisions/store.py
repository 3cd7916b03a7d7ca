"""The decision log: an append-only, hash-chained SQLite file, one transaction per record.

WAL journal with ``synchronous=FULL``: a record is on disk when ``append`` returns, so a
kill -9 (or a power cut) leaves every finished record readable; a half-written one is
rolled back by SQLite on the next open.

Layout (schema 2, defined in ``schema.py``; see docs/decision-log.md):

- ``cycles``: one row per record. ``kind`` is ``cycle`` (a finished cycle), ``intent``
  (what a cycle is about to write, recorded *before* the write) or ``checkpoint`` (written
  when old records are pruned). Summary columns for queries; the rest of the record
  (solver, faults, plan, phase times) as JSON in ``detail``.
- ``setpoints`` and ``inputs``: one row per tag of a cycle record, numbers as REAL,
  qualities as small codes, tag and status names interned in ``names``.
- Every ``cycles`` row stores ``prev_hash`` and ``hash`` = sha256 over the previous hash
  and the record's content (its row, its setpoint and input rows, names resolved), so any
  edit, deletion, insertion or reordering breaks the chain (``chain.verify``). Triggers
  refuse UPDATE and DELETE on every table; only ``prune`` removes the oldest records, in one
  transaction that also appends a checkpoint carrying the last pruned hash.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from optimizer.decisions import codec
from optimizer.decisions.chain import GENESIS, record_hash
from optimizer.decisions.record import DecisionRecord
from optimizer.decisions.schema import (
    CYCLE_COLUMNS,
    GUARD_NAMES,
    GUARDS_SQL,
    INPUT_COLUMNS,
    PAGE_SIZE,
    SETPOINT_COLUMNS,
    TABLES_SQL,
    TAG_BITS,
    check_schema,
)
from optimizer.errors import InputError

BUSY_TIMEOUT_S = 2.0  # a lock held longer than this: the append fails (and the cycle holds)
WAL_AUTOCHECKPOINT_PAGES = 256  # checkpoint when the -wal holds this many pages (4 MB)
WAL_LIMIT_BYTES = 4 * 1024 * 1024  # and truncate it back to this after a checkpoint
CACHE_KIB = 2000  # the page cache's bound (SQLite's own default, set after page_size)


@dataclass(frozen=True, kw_only=True)
class Intent:
    """What a cycle is about to write, recorded before the write (safety rule 16)."""

    run_id: str
    cycle: int
    at: datetime
    config_hash: str
    mode: str
    outcome: str  # the interlocks' planned outcome
    writes: Mapping[str, float | int | bool]
    sequence: int | None
    watchdog: int | None


@dataclass(frozen=True, kw_only=True)
class PruneResult:
    records: int  # records removed (cycles, intents and older checkpoints)
    done: bool  # nothing older than the retention is left


class DecisionLog:
    """Writer side. Thread-confined use: one thread at a time (see ``writer.LogWriter``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, isolation_level=None, timeout=BUSY_TIMEOUT_S, check_same_thread=False
            )
            check_schema(self._db, self.path)
            if not self._db.execute("SELECT 1 FROM sqlite_master").fetchone():  # a new file
                self._db.execute(f"PRAGMA page_size={PAGE_SIZE}")
            # after page_size: SQLite turns a negative cache_size (KiB) into a page count
            # with the page size of the moment, so on a new file the 2 MB default became
            # ~500 pages of 16 KB, and the page cache grew with the log to ~8 MB
            self._db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
            self._db.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
            self._db.executescript(TABLES_SQL + GUARDS_SQL)
            self._names = dict(self._db.execute("SELECT name, id FROM names").fetchall())
        except (sqlite3.Error, OSError) as e:
            raise InputError(f"{self.path}: cannot open the decision log ({e})") from None

    # -- writing -------------------------------------------------------------------------
    def append(self, rec: DecisionRecord) -> None:
        d = dataclasses.replace(rec, inputs=(), setpoints=()).to_dict()  # rows go to tables
        s = rec.solver
        detail = {k: v for k, v in d.items() if k not in _RECORD_KEYS_IN_COLUMNS}
        row = (
            "cycle",
            rec.run_id,
            rec.cycle,
            codec.utc(rec.started),
            codec.utc(rec.ended),
            rec.outcome,
            json.dumps(list(rec.reasons)),
            rec.config_hash,
            rec.mode,
            s.status if s else None,
            codec.real(s.objective) if s else None,
            codec.real(s.gap) if s else None,
            codec.real(s.solve_time_s) if s else None,
            rec.sequence,
            rec.watchdog,
            codec.pack(detail),
        )
        with self._lock:
            self._write(row, rec.setpoints, rec.inputs, codec.micros(rec.started) or 0)

    def append_intent(self, it: Intent) -> None:
        detail = {"writes": {k: codec.plain(v) for k, v in sorted(it.writes.items())}}
        row = (
            "intent",
            it.run_id,
            it.cycle,
            codec.utc(it.at),
            None,
            it.outcome,
            "[]",
            it.config_hash,
            it.mode,
            None,
            None,
            None,
            None,
            it.sequence,
            it.watchdog,
            codec.pack(detail),
        )
        with self._lock:
            self._write(row, (), (), 0)

    def _write(
        self,
        row: tuple[Any, ...],
        setpoints: Iterable[Any],
        inputs: Iterable[Any],
        started_us: int,
    ) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        names = dict(self._names)
        try:
            sp_rows = sorted(
                ((self._intern(p.tag, names), *codec.setpoint_row(p)) for p in setpoints),
                key=lambda r: r[0],
            )
            in_rows = sorted(
                (
                    (
                        self._intern(i.tag, names),
                        *codec.input_row(i, self._status(i.status, names), started_us),
                    )
                    for i in inputs
                ),
                key=lambda r: r[0],
            )
            # the head is read inside the write lock: another process appending to the
            # same file (a second engine, a migration) cannot fork the chain
            head = db.execute("SELECT hash FROM cycles ORDER BY id DESC LIMIT 1").fetchone()
            prev = head[0] if head else GENESIS
            ids = {v: k for k, v in names.items()}
            h = record_hash(prev, row, sp_rows, in_rows, ids)
            cid = db.execute(
                f"INSERT INTO cycles ({', '.join(CYCLE_COLUMNS)}, prev_hash, hash) "
                f"VALUES ({', '.join('?' * (len(CYCLE_COLUMNS) + 2))})",
                (*row, prev, h),
            ).lastrowid
            base = int(cid or 0) << TAG_BITS
            db.executemany(
                f"INSERT INTO setpoints (key, {', '.join(SETPOINT_COLUMNS)}) "
                f"VALUES ({', '.join('?' * (len(SETPOINT_COLUMNS) + 1))})",
                [(base | r[0], *r[1:]) for r in sp_rows],
            )
            db.executemany(
                f"INSERT INTO inputs (key, {', '.join(INPUT_COLUMNS)}) "
                f"VALUES ({', '.join('?' * (len(INPUT_COLUMNS) + 1))})",
                [(base | r[0], *r[1:]) for r in in_rows],
            )
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        self._names = names

    def _intern(self, name: str, names: dict[str, int]) -> int:
        i = names.get(name)
        if i is None:
            # another writer may have added it since this process read the names
            self._db.execute("INSERT OR IGNORE INTO names (name) VALUES (?)", (name,))
            row = self._db.execute("SELECT id FROM names WHERE name = ?", (name,)).fetchone()
            i = names[name] = int(row[0])
            if i >= 1 << TAG_BITS:
                raise sqlite3.DataError(f"more than {1 << TAG_BITS} tag and status names")
        return i

    def _status(self, name: str | None, names: dict[str, int]) -> int | None:
        return None if name is None else self._intern(name, names)

    # -- reading the head -----------------------------------------------------------------
    def last_cycle(self) -> int:
        """The highest cycle number in the log (0 for a new log): numbering continues."""
        with self._lock:
            r = self._db.execute("SELECT MAX(cycle) FROM cycles").fetchone()
        return int(r[0] or 0)

    def count(self) -> int:
        with self._lock:
            r = self._db.execute("SELECT COUNT(*) FROM cycles WHERE kind = 'cycle'").fetchone()
        return int(r[0])

    # -- maintenance ---------------------------------------------------------------------
    def prune(
        self, retention_days: float, *, now: datetime | None = None, batch: int = 2000
    ) -> PruneResult:
        """Remove up to ``batch`` of the oldest records started before the retention.

        Only a prefix of the chain is removed (never the newest record), and in the same
        transaction a checkpoint record is appended that names the first kept record and
        carries the last pruned record's hash, so ``verify`` still passes afterwards.
        """
        cutoff = codec.utc((now or datetime.now(UTC)) - timedelta(days=retention_days))
        with self._lock:
            db = self._db
            head = db.execute("SELECT MAX(id) FROM cycles").fetchone()[0]
            if head is None:
                return PruneResult(records=0, done=True)
            # the prefix of old records: ids below the first one inside the retention
            inside = db.execute(
                "SELECT MIN(id) FROM cycles WHERE started >= ?", (cutoff,)
            ).fetchone()[0]
            keep = min(int(head), int(inside)) if inside is not None else int(head)
            first = db.execute("SELECT MIN(id) FROM cycles").fetchone()[0]
            upto = min(int(keep), int(first) + batch)
            if upto <= first:
                return PruneResult(records=0, done=True)
            last_pruned = db.execute(
                "SELECT hash, cycle, started FROM cycles WHERE id = ?", (upto - 1,)
            ).fetchone()
            first_kept = db.execute(
                "SELECT id, prev_hash FROM cycles WHERE id >= ? ORDER BY id LIMIT 1", (upto,)
            ).fetchone()
            db.execute("BEGIN IMMEDIATE")
            try:
                for g in GUARD_NAMES:
                    if g.endswith("_delete"):
                        db.execute(f"DROP TRIGGER IF EXISTS {g}")
                db.execute("DELETE FROM setpoints WHERE key < ?", (upto << TAG_BITS,))
                db.execute("DELETE FROM inputs WHERE key < ?", (upto << TAG_BITS,))
                n = db.execute("DELETE FROM cycles WHERE id < ?", (upto,)).rowcount
                for stmt in GUARDS_SQL.splitlines():
                    db.execute(stmt)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        self._append_checkpoint(
            first_kept_id=int(first_kept[0]),
            last_pruned_hash=str(last_pruned[0]),
            last_pruned_cycle=int(last_pruned[1]),
            last_pruned_started=str(last_pruned[2]),
            pruned=int(n),
        )
        return PruneResult(records=int(n), done=upto >= keep)

    def _append_checkpoint(self, **detail: Any) -> None:
        with self._lock:
            last = self._db.execute(
                "SELECT run_id, cycle, config_hash, mode FROM cycles ORDER BY id DESC LIMIT 1"
            ).fetchone()
            row = (
                "checkpoint",
                last[0],
                int(last[1]),
                codec.utc(datetime.now(UTC)),
                None,
                None,
                "[]",
                last[2],
                last[3],
                None,
                None,
                None,
                None,
                None,
                None,
                codec.pack(detail),
            )
            self._write(row, (), (), 0)

    def checkpoint_wal(self) -> None:
        """Copy the WAL into the database and truncate it (bounded ``-wal`` file)."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            self._db.close()


_RECORD_KEYS_IN_COLUMNS = frozenset(
    {
        "run_id",
        "cycle",
        "started",
        "ended",
        "outcome",
        "reasons",
        "config_hash",
        "mode",
        "inputs",
        "setpoints",
        "sequence",
        "watchdog",
    }
)
