"""No write without a record (safety rule 16), what counts as written, and cycle numbers
that continue across restarts. The real cycle, real HiGHS, a real SQLite file; the plant is
the FakePlantIO double, which records every write exactly as sent."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.plant_model import PlantModel
from optimizer.config.loader import load_config_text
from optimizer.config.schema import PlantConfig
from optimizer.cycle.clock import FakeClock
from optimizer.cycle.record import CycleSummary, Recorder
from optimizer.cycle.runner import CycleParts, CycleRunner
from optimizer.cycle.solve import SolveWorker
from optimizer.decisions.query import read_intents, read_records
from optimizer.decisions.store import DecisionLog, Intent
from optimizer.interlocks import Interlocks
from optimizer.validation import InputValidator
from tests.loop.test_cycle_steps import PLANT
from tests.support.fake_plant import FakePlantIO

SEQ_PLANT = (
    PLANT.replace(
        '  wd: {node: "s=wd", role: watchdog}\n',
        '  wd: {node: "s=wd", role: watchdog}\n  seq: {node: "s=seq", role: watchdog}\n',
    )
    .replace("CAP", "1e6")
    .replace("MR", "false")
    .replace("max_solver_failures: 2}", "max_solver_failures: 2, sequence_tag: seq}")
    # about recording, not heartbeat arming: setpoints go with the first beat
    .replace("timeout_s: 30}", "timeout_s: 30, arm_cycles: 0}")
)
READINGS = {"enable": True, "wd": 0, "seq": 0, "demand": 6.0, "b1_sp": 0.0, "b2_sp": 0.0}


def config() -> PlantConfig:
    return load_config_text(SEQ_PLANT, "seq.yaml")


@dataclass
class Rig:
    cfg: PlantConfig
    io: FakePlantIO
    clock: FakeClock
    log_path: Path
    solver: SolveWorker
    runner: CycleRunner
    recorder: Recorder

    async def cycle(self) -> CycleSummary:
        self.clock.advance(60)
        self.io.now = self.clock.now()
        return await self.runner.run_once()


def make_rig(cfg: PlantConfig, log_path: Path, io: FakePlantIO | None = None) -> Rig:
    clock = FakeClock(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    io = io or FakePlantIO({"b1_sp", "b2_sp", "wd", "seq"}, clock.now())
    io.values.update(READINGS)
    solver = SolveWorker(PlantModel(cfg), time_limit_s=5.0, mip_gap=1e-6)
    recorder = Recorder(cfg, DecisionLog(log_path), config_hash="t", advisory=False)
    runner = CycleRunner(
        CycleParts(
            cfg=cfg,
            io=io,
            solver=solver,
            validator=InputValidator(cfg),
            interlocks=Interlocks(cfg),
            recorder=recorder,
            clock=clock,
        )
    )
    return Rig(cfg, io, clock, log_path, solver, runner, recorder)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    r = make_rig(config(), tmp_path / "log.sqlite")
    try:
        yield r
    finally:
        r.solver.close()
        await r.recorder.aclose()


HOLD_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")  # the write lock, held until stdin closes
print("locked", flush=True)
sys.stdin.read()
db.execute("ROLLBACK")
"""


async def _max_stall(task: asyncio.Future[CycleSummary]) -> float:
    """The longest the event loop went without running this coroutine while ``task`` ran."""
    worst = 0.0
    while not task.done():
        t0 = time.perf_counter()
        await asyncio.sleep(0.01)
        worst = max(worst, time.perf_counter() - t0)
    return worst


async def test_log_locked_by_another_process_holds_without_blocking(rig: Rig) -> None:
    assert (await rig.cycle()).outcome == "wrote"
    sent_before = len(rig.io.writes)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(rig.log_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        rig.clock.advance(60)
        rig.io.now = rig.clock.now()
        task = asyncio.ensure_future(rig.runner.run_once())
        stall = await _max_stall(task)
        held = task.result()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
    assert len(rig.io.writes) == sent_before, "a write reached the plant without a record"
    assert held.outcome == "held_no_record" and not held.written
    assert any("intent could not be recorded" in r for r in held.reasons), held.reasons
    assert not held.recorded and any("decision log write FAILED" in r for r in held.reasons)
    assert stall < 0.5, f"the event loop stalled {stall:.2f} s on the locked log"
    # the lock is gone: the loop carries on, writing and recording
    again = await rig.cycle()
    assert again.outcome == "wrote" and again.recorded
    recs = read_records(rig.log_path)
    assert [r["cycle"] for r in recs] == [1, 3]
    assert all(r["phase_seconds"]["intent"] > 0 for r in recs)  # what the intent cost
    assert [i["cycle"] for i in read_intents(rig.log_path)] == [1, 3]


async def test_disk_full_holds_and_says_why(rig: Rig) -> None:
    assert (await rig.cycle()).outcome == "wrote"
    sent_before = len(rig.io.writes)
    log = rig.recorder.log
    db = log._db  # the log's own connection: a full disk, as SQLite sees it
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    # fill the last free bytes with the smallest records there are
    tiny = Intent(
        run_id="fill",
        cycle=1,
        at=rig.clock.now(),
        config_hash="t",
        mode="closed_loop",
        outcome="no_change",
        writes={},
        sequence=None,
        watchdog=None,
    )
    with pytest.raises(sqlite3.OperationalError, match="full"):
        for _ in range(10_000):
            log.append_intent(tiny)
    held = await rig.cycle()
    assert len(rig.io.writes) == sent_before, "a write reached the plant without a record"
    assert held.outcome == "held_no_record"
    assert any("full" in r for r in held.reasons), held.reasons
    db.execute("PRAGMA max_page_count = 1073741823")
    again = await rig.cycle()
    assert again.outcome == "wrote" and again.recorded
    assert len(rig.io.writes) == sent_before + 1


async def test_only_acknowledged_values_are_written(rig: Rig) -> None:
    rig.io.reject = {"b1_sp": "BadOutOfRange"}
    refused = await rig.cycle()
    assert refused.outcome == "write_failed" and "b1_sp" not in refused.written
    sp = {s["tag"]: s for s in read_records(rig.log_path)[-1]["setpoints"]}["b1_sp"]
    assert sp["sent"] == 2.0 and sp["written"] is None and sp["write_status"] == "BadOutOfRange"
    assert "BadOutOfRange" in sp["reason"]
    rig.io.reject = {}
    rig.io.fail_writes = True  # no answer: outcome unknown, nothing counts as written
    lost = await rig.cycle()
    assert lost.outcome == "write_failed" and not lost.written
    rig.io.fail_writes = False
    rig.runner.stop_requested = True  # abandoned: nothing sent
    abandoned = await rig.cycle()
    assert abandoned.outcome == "abandoned" and not abandoned.written
    for rec in read_records(rig.log_path)[1:]:
        for s in rec["setpoints"]:
            assert s["written"] is None, (rec["outcome"], s)
        assert all(s["sent"] is None for s in rec["setpoints"]) or rec["outcome"] != "abandoned"


async def test_cycle_and_sequence_numbers_continue_after_a_restart(tmp_path: Path) -> None:
    cfg = config()
    path = tmp_path / "log.sqlite"
    first = make_rig(cfg, path)
    try:
        for _ in range(2):
            assert (await first.cycle()).outcome == "wrote"
    finally:
        first.solver.close()
        await first.recorder.aclose()
    second = make_rig(cfg, path)  # a restart: new process state, the same log
    try:
        second.io.values.update(first.io.values)
        s = await second.cycle()
        assert s.number == 3
        assert second.io.writes[-1]["seq"] == 3  # the DCS never sees an old number again
    finally:
        second.solver.close()
        await second.recorder.aclose()
    recs = read_records(path)
    assert [r["cycle"] for r in recs] == [1, 2, 3]
    assert len({r["run_id"] for r in recs}) == 2
    assert [r["sequence"] for r in recs] == [1, 2, 3]
