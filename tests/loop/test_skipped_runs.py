"""A cycle that overruns its period: the next run is skipped, said in plantloop's words
(not APScheduler's raw log line) and recorded in the decision log as a skipped cycle."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import pytest
from rich.console import Console

from optimizer.cli import _common
from optimizer.decisions.query import read_records
from optimizer.plantio.opcua_client import OpcUaPlantIO
from optimizer.plantio.types import Snapshot
from optimizer.service.loop import LoopService
from optimizer.service.status import StatusPrinter
from optimizer.sim import SimulatedPlant
from tests.loop.conftest import at, demo_config


class SlowServer(OpcUaPlantIO):
    """Every read takes longer than the cycle period (a slow gateway)."""

    async def read(self) -> Snapshot:
        await asyncio.sleep(1.3)
        return await super().read()


async def test_overrun_skips_the_next_run_and_records_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = demo_config(period_s=1.0, misfire_grace_s=1.0)
    out = io.StringIO()
    err = io.StringIO()  # the console's stderr as `plantloop run` sets it up
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(_common, "stderr", err)
    monkeypatch.setattr(root, "level", root.level)
    _common.setup_logging()
    async with SimulatedPlant(cfg, port=0, speed=0, seed=1) as sim:
        cfg = at(cfg, sim.endpoint)
        service = LoopService(
            cfg,
            config_hash="test",
            io=SlowServer(cfg),
            log_path=str(tmp_path / "log.sqlite"),
            printer=StatusPrinter(Console(file=out, width=200)),
            cycles=2,
        )
        stats = await asyncio.wait_for(service.run(), 120)
    assert stats.skipped >= 1
    assert "previous cycle still running (overran its period); this run skipped" in out.getvalue()
    assert "maximum number of running instances" not in err.getvalue()
    records = read_records(tmp_path / "log.sqlite")
    skipped = [r for r in records if r["outcome"] == "skipped"]
    assert skipped and skipped[0]["reasons"] == [
        "previous cycle still running (overran its period); this run skipped"
    ]
    assert not skipped[0]["setpoints"] and not skipped[0]["inputs"]
    numbers = [r["cycle"] for r in records]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
