"""The decision log on a real SQLite file: round trip, append-only, kill -9, CLI review."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from optimizer.decisions import DecisionLog, DecisionRecord, InputRecord, SetpointRecord
from optimizer.decisions.query import read_log, read_records
from optimizer.decisions.record import SolverRecord

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]


def record(n: int, outcome: str = "wrote", *, written: float | None = 42.0) -> DecisionRecord:
    return DecisionRecord(
        run_id="run1",
        cycle=n,
        started=T0 + timedelta(minutes=n),
        ended=T0 + timedelta(minutes=n, seconds=2),
        outcome=outcome,
        reasons=("move limited",) if outcome == "wrote" else ("permissive off",),
        config_hash="abc",
        mode="closed_loop",
        inputs=(
            InputRecord(
                tag="temp",
                value=float("nan"),
                quality="bad",
                status="BadSensor",
                source_ts=T0,
                used=None,
                issue="temp: value is nan",
            ),
            InputRecord(
                tag="fc",
                value=(1.0, 2.0),
                quality="good",
                status="Good",
                source_ts=T0,
                used=(1.0, 2.0),
            ),
        ),
        solver=SolverRecord(
            status="ok",
            termination="optimal",
            attempt="hard limits",
            has_safe_plan=True,
            message="",
            objective=100.0 + n,
            bound=99.0,
            gap=0.001,
            solve_time_s=0.2,
            wall_time_s=0.3,
            terms={"cost": 90.0},
            tiers={"1": 100.0},
            why=("CHP at max",),
        ),
        setpoints=(
            SetpointRecord(
                tag="sp0",
                current=40.0,
                proposed=60.0,
                clamped_to=45.0,
                written=written,
                read_back=written,
                write_status="Good",
                reason="move limited",
            ),
        ),
    )


def test_round_trip_and_queries(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = DecisionLog(path)
    for n in range(1, 6):
        log.append(
            record(n, "wrote" if n % 2 else "held_no_permissive", written=45.0 if n % 2 else None)
        )
    log.close()
    df = read_log(path)
    assert list(df["cycle"]) == [1, 2, 3, 4, 5]
    assert list(read_log(path, outcome="held_no_permissive")["cycle"]) == [2, 4]
    sp = read_log(path, tag="sp0")
    assert list(sp["written"].isna()) == [False, True, False, True, False]
    assert read_log(path, tag="temp")["issue"].iloc[0] == "temp: value is nan"
    since = read_log(path, since=T0 + timedelta(minutes=3), until=T0 + timedelta(minutes=5))
    assert list(since["cycle"]) == [3, 4]
    assert list(read_log(path, limit=2)["cycle"]) == [4, 5]
    full = read_records(path)[0]
    assert full["inputs"][0]["value"] == "nan"  # NaN kept, as text: JSON stays valid
    assert full["solver"]["why"] == ["CHP at max"]


def test_log_is_append_only(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = DecisionLog(path)
    log.append(record(1))
    log.close()
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE cycles SET outcome = 'wrote'")


WRITER = """
import sys, time
from tests.decision_log.test_store import record
from optimizer.decisions import DecisionLog
log = DecisionLog(sys.argv[1])
n = 0
while True:
    n += 1
    log.append(record(n))
    print(n, flush=True)
"""


def test_kill_9_mid_append_leaves_a_complete_readable_log(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    last = 0
    deadline = time.monotonic() + 30
    while last < 50 and time.monotonic() < deadline:
        last = int(proc.stdout.readline() or last)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    # the writer kept going until the signal landed: its reports still sit in the pipe
    for line in proc.stdout.read().split():
        last = int(line)
    assert last >= 50, "writer did not get going"
    df = read_log(path)
    # every cycle the writer reported as appended is there, in order, complete
    assert list(df["cycle"][:last]) == list(range(1, last + 1))
    assert len(df) in (last, last + 1)  # the one in flight is either all there or absent
    for rec in read_records(path):
        assert rec["setpoints"] and rec["inputs"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "optimizer", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_log_formats_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = DecisionLog(path)
    for n in range(1, 4):
        log.append(record(n))
    log.close()
    table = run_cli("log", str(path), "--tag", "sp0")
    assert table.returncode == 0 and "3 cycles" in table.stdout and "│ 42 " in table.stdout
    js = run_cli("log", str(path), "--format", "json")
    assert [r["cycle"] for r in json.loads(js.stdout)] == [1, 2, 3]
    out = tmp_path / "x.parquet"
    assert run_cli("log", str(path), "--format", "parquet", "-o", str(out)).returncode == 0
    assert len(pd.read_parquet(out)) == 3
    csv = run_cli("log", str(path), "--format", "csv", "--outcome", "wrote")
    assert csv.stdout.splitlines()[0].startswith("run_id,cycle,started")
    for bad, needle in [
        (("log", str(tmp_path / "none.sqlite")), "no such decision log"),
        (("log", str(path), "--since", "yesterday"), "--since: expected an ISO"),
        (("log", str(path), "--outcome", "exploded"), "unknown outcome"),
        (("log", str(path), "--tag", "nope"), "--tag nope: no such tag"),
    ]:
        r = run_cli(*bad)
        assert r.returncode == 2, r
        assert needle in r.stderr and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


def test_records_come_back_exactly_and_numbers_are_stored_as_numbers(tmp_path: Path) -> None:
    base = record(1)
    odd = (
        InputRecord(tag="on", value=True, quality="good", status="Good", source_ts=T0, used=True),
        InputRecord(tag="count", value=7, quality="good", status="Good", source_ts=T0, used=7),
        InputRecord(
            tag="sub",
            value=None,
            quality="bad",
            status="BadNoCommunication",
            source_ts=None,
            used=3.25,
            issue="sub: bad; last good value used",
            substituted=True,
        ),
        InputRecord(
            tag="inf",
            value=float("inf"),
            quality="uncertain",
            status=None,
            source_ts=T0 - timedelta(seconds=1.5),
            used=None,
        ),
        InputRecord(tag="x", value=1.0, quality="good", status="Good", source_ts=T0, used=1.5),
    )
    rec = DecisionRecord(**{**base.__dict__, "inputs": base.inputs + odd})
    path = tmp_path / "log.sqlite"
    log = DecisionLog(path)
    log.append(rec)
    log.close()
    got = read_records(path)[0]
    want = rec.to_dict()
    for k in ("started", "ended"):
        assert datetime.fromisoformat(got[k]) == datetime.fromisoformat(want[k])
    by_tag = {i["tag"]: i for i in got["inputs"]}
    for i in want["inputs"]:
        assert by_tag[i["tag"]] == i
    assert got["setpoints"] == [{**want["setpoints"][0], "sent": None}]
    assert {k: got[k] for k in ("solver", "faults", "phase_seconds", "reasons")} == {
        k: want[k] for k in ("solver", "faults", "phase_seconds", "reasons")
    }
    db = sqlite3.connect(path)
    types = db.execute("SELECT DISTINCT typeof(value), typeof(quality) FROM inputs").fetchall()
    assert set(types) <= {("real", "integer"), ("null", "integer")}, types
    db.close()
