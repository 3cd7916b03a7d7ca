"""A write that never answers, and a read that fails: each ends the cycle in time, recorded
with the reason (safety rules 9 and 12). The FakePlantIO double, real HiGHS and SQLite."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from optimizer.config.schema import PlantConfig
from optimizer.plantio.types import Snapshot, WriteReport
from tests.loop.test_record_before_write import config, make_rig
from tests.support.fake_plant import FakePlantIO


def short_timeouts() -> PlantConfig:
    """The rig's config with OPC UA requests timing out after 0.2 s."""
    cfg = config()
    timeout = cfg.connection.model_copy(update={"request_timeout_s": 0.2})
    return cfg.model_copy(update={"connection": timeout})


WRITABLE = {"b1_sp", "b2_sp", "wd", "seq"}


class HangingWrites(FakePlantIO):
    """A server that takes every write and never answers."""

    async def write(self, values: Mapping[str, float | int | bool], *, epoch: int) -> WriteReport:
        await asyncio.sleep(60)
        return await super().write(values, epoch=epoch)


async def test_a_write_that_never_answers_is_write_failed_within_its_deadline(
    tmp_path: Path,
) -> None:
    cfg = short_timeouts()
    io = HangingWrites(WRITABLE, datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    rig = make_rig(cfg, tmp_path / "log.sqlite", io)
    try:
        t0 = time.perf_counter()
        s = await asyncio.wait_for(rig.cycle(), timeout=30)
        assert time.perf_counter() - t0 < 15
        assert s.outcome == "write_failed", s.reasons
        text = " | ".join(s.reasons)
        assert "did not answer within 0.4 s" in text and "not replayed" in text
    finally:
        rig.solver.close()
        await rig.recorder.aclose()


async def test_a_failed_read_holds_and_records_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rig = make_rig(config(), tmp_path / "log.sqlite")
    try:
        rig.io.fail_reads = True
        s = await rig.cycle()
        assert s.outcome == "held_bad_data" and not rig.io.writes
        assert "read failed: fake plant: connection lost" in s.reasons, s.reasons
        # the console's line says the same
        line = "cycle 1: read failed: fake plant: connection lost"
        assert [r.getMessage() for r in caplog.records if r.name == "plantloop.cycle"] == [line]
    finally:
        rig.solver.close()
        await rig.recorder.aclose()


class HangingReads(FakePlantIO):
    """A server that takes every read and never answers."""

    async def read(self) -> Snapshot:
        await asyncio.sleep(60)
        return await super().read()


async def test_a_read_that_never_answers_holds_within_its_deadline(tmp_path: Path) -> None:
    cfg = short_timeouts()
    io = HangingReads(WRITABLE, datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    rig = make_rig(cfg, tmp_path / "log.sqlite", io)
    try:
        s = await asyncio.wait_for(rig.cycle(), timeout=30)
        assert s.outcome == "held_bad_data" and not io.writes
        assert "read failed: batched read did not answer within 0.4 s" in s.reasons, s.reasons
    finally:
        rig.solver.close()
        await rig.recorder.aclose()
