"""The record chain: each record's hash covers its content and the previous record's hash.

``record_hash`` is computed from exactly the cells stored (names resolved, numbers as
floats), so ``verify`` recomputes it from the file alone. Editing a value, deleting,
inserting or reordering records (even with the append-only triggers dropped and put back)
breaks the chain at the first record touched. After pruning, the chain starts at the first
kept record; the checkpoint appended by the prune carries the hash it must start from.

What the chain cannot prove: someone who rewrites the whole file and recomputes every hash.
Against that, keep the head hash (``plantloop log verify`` prints it) somewhere else.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optimizer.decisions.codec import unpack

GENESIS = "0" * 64


def _cell(v: Any) -> Any:
    if isinstance(v, bool | int | float):
        return float(v) + 0.0  # -0.0 reads back from SQLite as 0.0
    if isinstance(v, bytes):
        return hashlib.sha256(v).hexdigest()
    return v


def record_hash(
    prev: str,
    row: Sequence[Any],
    setpoints: Sequence[Sequence[Any]],
    inputs: Sequence[Sequence[Any]],
    names: Mapping[int, str],
) -> str:
    """sha256 of the previous hash and the record's cells (tag and status ids resolved).

    Numbers are hashed as floats (-0.0 as 0.0), so a value reads back the same whatever
    SQLite's column affinity made of it (it stores -0.0 and integral REALs as integers).
    Per-tag rows are written out inline (1,000 inputs: ~3 ms).
    """
    sp = [
        [names[t], *[None if x is None else float(x) + 0.0 for x in nums], status, reason]
        for t, *nums, status, reason in setpoints
    ]
    # input rows: tag_id, value, used, quality, status_id, source_age_us, flags, extra, issue
    inp = [
        [
            names[t],
            None if v is None else float(v) + 0.0,
            None if u is None else float(u) + 0.0,
            None if q is None else float(q),
            names.get(s),
            None if age is None else float(age),
            float(fl),
            extra,
            issue,
        ]
        for t, v, u, q, s, age, fl, extra, issue in inputs
    ]
    text = json.dumps(
        [prev, [_cell(c) for c in row], sp, inp], separators=(",", ":"), allow_nan=False
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Verdict:
    ok: bool
    records: int  # records checked
    head: str  # hash of the last record (GENESIS for an empty log)
    problem: str = ""  # the first broken record, named; empty when ok


def verify(db: sqlite3.Connection) -> Verdict:
    """Walk the chain in id order; stop at the first record that does not hold."""
    from optimizer.decisions.schema import CYCLE_COLUMNS, GUARD_NAMES, child_rows

    names = dict(db.execute("SELECT id, name FROM names").fetchall())
    present = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    missing = [g for g in GUARD_NAMES if g not in present]
    cols = ", ".join(CYCLE_COLUMNS)
    rows = db.execute(f"SELECT id, {cols}, prev_hash, hash FROM cycles ORDER BY id")
    prev: str | None = None
    n = 0
    for r in rows:
        cid, row, prev_hash, h = r[0], r[1:-2], r[-2], r[-1]
        where = f"record {cid} ({_what(row[0], row[2])}, run {row[1]})"
        if prev is None and prev_hash != GENESIS and not _checkpoint_covers(db, cid, prev_hash):
            return Verdict(
                ok=False,
                records=0,
                head=GENESIS,
                problem=f"{where}: the chain does not start here and no checkpoint accounts "
                "for the records before it (deleted)",
            )
        if prev is not None and prev_hash != prev:
            return Verdict(
                ok=False,
                records=n,
                head=prev,
                problem=f"{where}: does not follow the record before it "
                "(a record was deleted, inserted or reordered)",
            )
        sp = child_rows(db, "setpoints", cid)
        inp = child_rows(db, "inputs", cid)
        try:
            computed = record_hash(prev_hash, row, sp, inp, names)
        except (KeyError, ValueError, TypeError) as e:
            computed = f"unhashable ({e})"
        if computed != h:
            return Verdict(
                ok=False,
                records=n,
                head=prev or GENESIS,
                problem=f"{where}: content does not match its hash (altered)",
            )
        prev = h
        n += 1
    if missing:
        return Verdict(
            ok=False,
            records=n,
            head=prev or GENESIS,
            problem="append-only triggers missing: " + ", ".join(missing),
        )
    return Verdict(ok=True, records=n, head=prev or GENESIS)


def _checkpoint_covers(db: sqlite3.Connection, first_id: int, prev_hash: str) -> bool:
    """A (chained, hence verified) checkpoint says the chain resumes here, from this hash."""
    for (detail,) in db.execute(
        "SELECT detail FROM cycles WHERE kind = 'checkpoint' ORDER BY id DESC"
    ):
        d = unpack(detail)
        if d.get("first_kept_id") == first_id and d.get("last_pruned_hash") == prev_hash:
            return True
    return False


def _what(kind: str, cycle: int) -> str:
    if kind == "intent":
        return f"intent of cycle {cycle}"
    if kind == "checkpoint":
        return f"checkpoint after cycle {cycle}"
    return f"cycle {cycle}"
