"""A log written by the previous plantloop (schema 1, as on main before the chain) converts
into a chained schema-2 log; the engine then continues its cycle numbers."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path
from typing import Any

from optimizer.decisions import DecisionLog
from optimizer.decisions.chain import verify
from optimizer.decisions.query import open_log, read_records
from tests.decision_log.test_store import record, run_cli

SCHEMA_1 = """
CREATE TABLE cycles (
    id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, cycle INTEGER NOT NULL,
    started TEXT NOT NULL, ended TEXT NOT NULL, outcome TEXT NOT NULL, reasons TEXT NOT NULL,
    config_hash TEXT NOT NULL, mode TEXT NOT NULL, solver_status TEXT, objective REAL,
    gap REAL, solve_time_s REAL, record TEXT NOT NULL
);
CREATE TABLE setpoints (
    cycle_id INTEGER NOT NULL REFERENCES cycles(id), tag TEXT NOT NULL,
    current REAL, proposed REAL, clamped_to REAL, written REAL, read_back REAL,
    write_status TEXT, reason TEXT
);
CREATE TABLE inputs (
    cycle_id INTEGER NOT NULL REFERENCES cycles(id), tag TEXT NOT NULL,
    value TEXT, quality TEXT, status TEXT, source_ts TEXT, used TEXT, issue TEXT
);
CREATE TRIGGER cycles_append_only BEFORE UPDATE ON cycles
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
"""


def v1_record(n: int, status: str = "Good") -> dict[str, Any]:
    d = record(n).to_dict()
    for sp in d["setpoints"]:
        del sp["sent"]  # schema 1 had no `sent`: its `written` was the value sent
        sp["write_status"] = status
    return d


def make_v1(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_1)
    for n, status in ((1, "Good"), (2, "BadOutOfRange"), (1, "Good")):  # two runs
        d = v1_record(n, status)
        db.execute(
            "INSERT INTO cycles (run_id, cycle, started, ended, outcome, reasons, config_hash, "
            "mode, record) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                d["run_id"],
                n,
                d["started"],
                d["ended"],
                d["outcome"],
                "[]",
                "abc",
                "x",
                json.dumps(d),
            ),
        )
    db.commit()
    db.close()


def test_a_schema_1_log_migrates_and_the_numbering_continues(tmp_path: Path) -> None:
    old, new = tmp_path / "old.sqlite", tmp_path / "new.sqlite"
    make_v1(old)
    r = run_cli("log", str(old))
    assert r.returncode == 2 and "--migrate-to" in r.stderr and str(old) in r.stderr
    r = run_cli("log", str(old), "--migrate-to", str(new))
    assert r.returncode == 0, r.stderr
    assert "migrated 3 records" in r.stdout
    recs = read_records(new)
    assert [x["cycle"] for x in recs] == [1, 2, 1]
    first, refused = recs[0]["setpoints"][0], recs[1]["setpoints"][0]
    assert (first["sent"], first["written"]) == (42.0, 42.0)
    assert (refused["sent"], refused["written"]) == (42.0, None)  # not acknowledged
    want = v1_record(1)
    assert recs[0]["inputs"] == want["inputs"] and recs[0]["solver"] == want["solver"]
    db = open_log(new)
    try:
        assert verify(db).ok
    finally:
        db.close()
    log = DecisionLog(new)
    assert log.last_cycle() == 2
    log.append(dataclasses.replace(record(3), run_id="run3"))
    log.close()
    again = run_cli("log", str(old), "--migrate-to", str(new))
    assert again.returncode == 2 and "exists" in again.stderr


def test_the_engine_refuses_an_old_log_in_one_line(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite"
    make_v1(old)
    r = run_cli("demo", "--cycles", "1", "--period", "1", "--log", str(old))
    assert r.returncode == 2, r.stderr
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("plantloop: error:")]
    assert len(errors) == 1 and str(old) in errors[0] and "--migrate-to" in errors[0]
    assert "Traceback" not in r.stderr and "connection lost" not in r.stdout + r.stderr
