"""`plantloop log` exports: every field, exact values, times with their zone, run ids;
`-o` never overwrites without `--force`; a read-only copy of a log can be reviewed."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from optimizer.decisions import DecisionLog
from optimizer.decisions.query import read_records
from tests.decision_log.test_store import record, run_cli

OBJECTIVE = 1234.567890123456


def make_log(path: Path) -> None:
    log = DecisionLog(path)
    for c in range(1, 6):  # two runs; cycle numbers keep increasing across the restart
        rec = record(c)
        solver = dataclasses.replace(
            rec.solver,  # type: ignore[arg-type]
            objective=OBJECTIVE + c,
            cv_predictions={"header_p": 10.123456789},
            relaxed=({"cv": "header_p", "limit": "max", "by": 0.25},),
        )
        log.append(dataclasses.replace(rec, run_id="run1" if c <= 3 else "run2", solver=solver))
    log.close()


def test_csv_and_parquet_export_every_field_exactly(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    make_log(path)
    r = run_cli("log", str(path), "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(x["run_id"], x["cycle"]) for x in rows] == [
        ("run1", "1"),
        ("run1", "2"),
        ("run1", "3"),
        ("run2", "4"),
        ("run2", "5"),
    ]
    first = rows[0]
    for col in (
        "why",
        "terms.cost",
        "tiers.1",
        "cv_predictions.header_p",
        "relaxed",
        "sp.sp0.current",
        "sp.sp0.proposed",
        "sp.sp0.clamped_to",
        "sp.sp0.sent",
        "sp.sp0.written",
        "sp.sp0.read_back",
        "sp.sp0.reason",
        "sp.sp0.move",
        "in.temp.value",
        "in.temp.quality",
        "in.temp.issue",
        "in.fc.value",
        "in.fc.source_ts",
        "solver.termination",
        "reasons",
    ):
        assert col in first, col
    assert float(first["solver.objective"]) == OBJECTIVE + 1  # exact, not rounded
    assert first["cv_predictions.header_p"] == "10.123456789"
    assert json.loads(first["relaxed"]) == [{"cv": "header_p", "limit": "max", "by": 0.25}]
    assert first["why"] == "CHP at max" and first["in.temp.value"] == "nan"
    assert first["started"].endswith("+00:00") and first["in.fc.source_ts"].endswith("+00:00")
    out = tmp_path / "all.parquet"
    assert run_cli("log", str(path), "--format", "parquet", "-o", str(out)).returncode == 0
    df = pd.read_parquet(out)
    assert list(df["cycle"]) == [1, 2, 3, 4, 5] and df["solver.objective"][0] == OBJECTIVE + 1


def test_json_export_is_the_full_records(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    make_log(path)
    r = run_cli("log", str(path), "--format", "json", "--last", "2")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == read_records(path)[-2:]


def test_output_is_not_overwritten_without_force(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    make_log(path)
    out = tmp_path / "held.csv"
    out.write_text("keep me\n")
    r = run_cli("log", str(path), "--format", "csv", "-o", str(out))
    assert r.returncode == 2 and "--force" in r.stderr and str(out) in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and out.read_text() == "keep me\n"
    r = run_cli("log", str(path), "--format", "csv", "-o", str(out), "--force")
    assert r.returncode == 0 and out.read_text().startswith("run_id,cycle,started")


@contextlib.contextmanager
def read_only_dir(d: Path) -> Iterator[None]:
    """A directory nobody may write, root included (the immutable attribute)."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr not available")
    if subprocess.run(["chattr", "+i", str(d)], capture_output=True).returncode != 0:
        pytest.skip("cannot make a directory immutable here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(d)], check=True)


def test_a_read_only_copy_can_be_reviewed(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    make_log(path)
    copy = tmp_path / "media"
    copy.mkdir()
    shutil.copy(path, copy / "log.sqlite")  # the file alone: no -wal, no -shm
    with read_only_dir(copy):
        r = run_cli("log", str(copy / "log.sqlite"), "--last", "2")
        assert r.returncode == 0, r.stderr
        assert "2 cycles" in r.stdout
        v = run_cli("log", "verify", str(copy / "log.sqlite"))
        assert v.returncode == 0, v.stderr
        assert not (copy / "log.sqlite-shm").exists()


def test_a_read_only_copy_with_unmerged_wal_is_refused_not_shown_short(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = DecisionLog(path)
    for c in range(1, 4):
        log.append(record(c))
    copy = tmp_path / "media"
    copy.mkdir()
    for suffix in ("", "-wal"):  # taken while the engine runs: records still in the -wal
        shutil.copy(f"{path}{suffix}", copy / f"log.sqlite{suffix}")
    log.close()
    assert (copy / "log.sqlite-wal").stat().st_size > 0
    with read_only_dir(copy):
        r = run_cli("log", str(copy / "log.sqlite"))
    assert r.returncode == 2 and "-wal holds records" in r.stderr, r.stdout + r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
