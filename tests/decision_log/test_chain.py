"""Tamper evidence on a real SQLite file: every table refuses UPDATE/DELETE, and any edit
that gets past the triggers (drop, rewrite, put back) breaks the record chain at the
record touched; `plantloop log verify` names it and exits non-zero."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from optimizer.decisions import DecisionLog
from optimizer.decisions.chain import verify
from optimizer.decisions.query import open_log, read_records
from optimizer.decisions.schema import GUARD_NAMES, GUARDS_SQL, TABLES
from optimizer.errors import InputError
from tests.decision_log.test_store import T0, record, run_cli


def make_log(path: Path, n: int = 5) -> None:
    log = DecisionLog(path)
    for c in range(1, n + 1):
        log.append(record(c))
    log.close()


def check(path: Path) -> tuple[bool, str]:
    db = open_log(path)
    try:
        v = verify(db)
    finally:
        db.close()
    return v.ok, v.problem


def tamper(path: Path, *sql: str) -> None:
    """What an editor with the file would do: drop the guards, change, put them back."""
    db = sqlite3.connect(path, isolation_level=None)
    for g in GUARD_NAMES:
        db.execute(f"DROP TRIGGER {g}")
    for s in sql:
        db.execute(s)
    db.executescript(GUARDS_SQL)
    db.close()


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("op", ["UPDATE {t} SET rowid = rowid", "DELETE FROM {t}"])
def test_every_table_refuses_update_and_delete(tmp_path: Path, table: str, op: str) -> None:
    path = tmp_path / "log.sqlite"
    make_log(path, 2)
    db = sqlite3.connect(path)
    sql = op.format(t=table)
    if table in ("setpoints", "inputs"):  # WITHOUT ROWID tables
        sql = sql.replace("rowid = rowid", "key = key")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute(sql)
    db.close()


CASES: list[tuple[str, tuple[str, ...], str]] = [
    ("alter an input", ("UPDATE inputs SET value = 1 WHERE cycle_id = 3 AND value IS NULL",), "3"),
    ("alter a written value", ("UPDATE setpoints SET written = 44 WHERE cycle_id = 4",), "4"),
    ("alter the outcome", ("UPDATE cycles SET outcome = 'shed' WHERE id = 2",), "2"),
    ("rename a tag", ("UPDATE names SET name = 'sp9' WHERE name = 'sp0'",), "1"),
    (
        "delete a cycle",
        (
            "DELETE FROM inputs WHERE cycle_id = 3",
            "DELETE FROM setpoints WHERE cycle_id = 3",
            "DELETE FROM cycles WHERE id = 3",
        ),
        "4",
    ),
    (
        "reorder two cycles",
        (
            "UPDATE cycles SET id = 100 WHERE id = 2",
            "UPDATE cycles SET id = 2 WHERE id = 3",
            "UPDATE cycles SET id = 3 WHERE id = 100",
        ),
        "2",
    ),
    (
        "delete the oldest",
        ("DELETE FROM cycles WHERE id = 1", "DELETE FROM inputs WHERE cycle_id = 1"),
        "2",
    ),
    ("a dropped trigger", ("DROP TRIGGER cycles_no_update",), "triggers missing"),
]


@pytest.mark.parametrize(("what", "sql", "first_bad"), CASES, ids=[c[0] for c in CASES])
def test_verify_names_the_first_broken_record(
    tmp_path: Path, what: str, sql: tuple[str, ...], first_bad: str
) -> None:
    path = tmp_path / "log.sqlite"
    make_log(path)
    assert check(path) == (True, "")
    if what == "a dropped trigger":
        db = sqlite3.connect(path)
        db.execute(sql[0])
        db.close()
    else:
        tamper(path, *sql)
    ok, problem = check(path)
    assert not ok
    if first_bad.isdigit():
        assert problem.startswith(f"record {first_bad} "), problem
    else:
        assert first_bad in problem
    r = run_cli("log", "verify", str(path))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and str(path) in r.stderr


def test_verify_cli_passes_and_prints_the_head(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    make_log(path, 3)
    r = run_cli("log", "verify", str(path))
    assert r.returncode == 0, r.stderr
    assert "3 records verified" in r.stdout and read_records(path)[-1]["hash"] in r.stdout
    r = run_cli("log", "verify")
    assert r.returncode == 2 and "plantloop log verify DB" in r.stderr


def test_pruning_keeps_the_chain_verifiable(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = DecisionLog(path)
    for c in range(1, 11):
        log.append(record(c))
    # cycles 1..10 start at T0 + c minutes; keep those from T0 + 6 min on
    now = T0 + timedelta(days=1, minutes=6)
    first = log.prune(1, now=now, batch=2)  # batches: 2 records each
    assert (first.records, first.done) == (2, False)
    while not log.prune(1, now=now, batch=2).done:
        pass
    log.close()
    recs = read_records(path)
    assert [r["cycle"] for r in recs] == [6, 7, 8, 9, 10]
    assert check(path) == (True, "")
    # the checkpoints are chained too: deleting the first kept record is still caught
    tamper(
        path,
        "DELETE FROM cycles WHERE id = (SELECT MIN(id) FROM cycles)",
    )
    ok, problem = check(path)
    assert not ok and "no checkpoint accounts" in problem


def test_old_log_is_refused_with_one_line(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite"
    db = sqlite3.connect(old)  # the layout today's main writes
    db.executescript(
        "CREATE TABLE cycles (id INTEGER PRIMARY KEY, run_id TEXT, cycle INTEGER, "
        "started TEXT, record TEXT); INSERT INTO cycles VALUES (1, 'r', 1, '2026', '{}');"
    )
    db.close()
    with pytest.raises(InputError, match="earlier plantloop"):
        DecisionLog(old)
    for args in (("log", str(old)), ("log", "verify", str(old))):
        r = run_cli(*args)
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and str(old) in r.stderr


def test_two_writers_on_one_file_keep_one_chain(tmp_path: Path) -> None:
    """A second engine (or a migration) appending to the same file: each append chains
    from the file's head, not from what its own process wrote last."""
    path = tmp_path / "log.sqlite"
    a, b = DecisionLog(path), DecisionLog(path)
    for c in range(1, 7):
        rec = record(c)
        if c % 2 == 0:  # a tag only this writer has seen: interned by both
            sp = dataclasses.replace(rec.setpoints[0], tag=f"new{c}")
            rec = dataclasses.replace(rec, setpoints=(*rec.setpoints, sp))
        (a if c % 2 else b).append(rec)
    a.close()
    b.close()
    assert check(path) == (True, "")
    assert [r["cycle"] for r in read_records(path)] == [1, 2, 3, 4, 5, 6]
