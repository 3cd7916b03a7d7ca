"""A log that runs for months: the engine prunes past `log.retention_days` in the background
and the chain still verifies; the -wal file stays bounded; the space left is reported."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from optimizer.cycle import record as cycle_record
from optimizer.decisions import DecisionLog
from optimizer.decisions.chain import verify
from optimizer.decisions.query import open_log, read_records
from optimizer.decisions.schema import PAGE_SIZE
from optimizer.decisions.space import log_space
from optimizer.decisions.store import WAL_AUTOCHECKPOINT_PAGES
from tests.decision_log.test_store import record
from tests.loop.test_record_before_write import config, make_rig


def old_records(path: Path, n: int, days_ago: float) -> None:
    log = DecisionLog(path)
    t = datetime.now(UTC) - timedelta(days=days_ago)
    for c in range(1, n + 1):
        rec = record(c)
        log.append(dataclasses.replace(rec, started=t, ended=t + timedelta(seconds=2)))
    log.close()


async def test_engine_prunes_in_the_background_and_the_chain_verifies(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    old_records(path, 30, days_ago=10)
    cfg = config()
    cfg = cfg.model_copy(update={"log": cfg.log.model_copy(update={"retention_days": 7})})
    rig = make_rig(cfg, path)
    rig.clock.set(datetime.now(UTC))
    rig.recorder.maintenance_every_s = 0.0  # every cycle (default: hourly)
    try:
        s = await rig.cycle()
        assert s.number == 31 and s.outcome == "wrote"
        task = rig.recorder._maintenance
        assert task is not None  # scheduled by the cycle, runs after it on the log's thread
        await task
        assert [r["cycle"] for r in read_records(path)] == [31]
        await rig.cycle()
        assert rig.recorder._maintenance is not None
        await rig.recorder._maintenance
    finally:
        rig.solver.close()
        await rig.recorder.aclose()
    assert [r["cycle"] for r in read_records(path)] == [31, 32]
    db = open_log(path)
    try:
        v = verify(db)
        kinds = [k for (k,) in db.execute("SELECT kind FROM cycles ORDER BY id")]
    finally:
        db.close()
    assert v.ok, v.problem
    assert "checkpoint" in kinds and kinds.count("cycle") == 2


def test_retention_none_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    old_records(path, 5, days_ago=400)
    cfg = config()
    cfg = cfg.model_copy(update={"log": cfg.log.model_copy(update={"retention_days": None})})
    rig = make_rig(cfg, path)

    async def go() -> None:
        try:
            await rig.recorder.maintain()
        finally:
            rig.solver.close()
            await rig.recorder.aclose()

    asyncio.run(go())
    assert len(read_records(path)) == 5


def test_wal_stays_bounded(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = DecisionLog(path)
    wal = Path(f"{path}-wal")
    biggest = 0
    for c in range(1, 400):
        log.append(record(c))
        biggest = max(biggest, wal.stat().st_size)
    # SQLite checkpoints at WAL_AUTOCHECKPOINT_PAGES; one commit may overshoot a little
    assert biggest <= (WAL_AUTOCHECKPOINT_PAGES + 16) * (PAGE_SIZE + 24), biggest
    log.checkpoint_wal()  # what the engine's maintenance does on its schedule
    assert wal.stat().st_size == 0
    log.close()


async def test_space_left_is_reported_and_low_space_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.sqlite"
    rig = make_rig(config(), path)
    try:
        s = await rig.cycle()
        assert s.space is not None
        files = sum(os.path.getsize(f"{path}{x}") for x in ("", "-wal", "-shm"))
        assert s.space.log_bytes == files
        st = os.statvfs(tmp_path)
        assert abs(s.space.free_bytes - st.f_bavail * st.f_frsize) < 64 * 2**20
        assert not any("disk low" in r for r in s.reasons)
        monkeypatch.setattr(cycle_record, "LOW_SPACE_BYTES", s.space.total_bytes + 1)
        low = await rig.cycle()
        assert any(r.startswith("decision log disk low:") and "free of" in r for r in low.reasons)
    finally:
        rig.solver.close()
        await rig.recorder.aclose()
    sp = log_space(tmp_path / "nothing.sqlite")
    assert sp.log_bytes == 0 and sp.free_bytes > 0
