"""``run`` against a fast simulator plans by the simulator's day (cycle.clock_tag), and a
shed simulator can be re-enabled from the command line (issue 11)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from optimizer.config.loader import load_config
from optimizer.errors import InputError
from optimizer.plantio.opcua_client import OpcUaPlantIO
from optimizer.plantio.types import Quality, Snapshot, TagReading
from optimizer.service.plant_clock import TagClock
from optimizer.sim import SimulatedPlant
from tests.sim.conftest import REPO
from tests.support.cli import spawn_plantloop

START = datetime(2026, 6, 15, 6, 0, tzinfo=UTC)
CONFIG = REPO / "config" / "first-plant.yaml"


async def test_run_takes_the_plant_time_from_the_simulator() -> None:
    cfg = load_config(CONFIG).config
    assert cfg.cycle.clock_tag == "plant_time"
    async with SimulatedPlant(cfg, port=0, speed=0.0, start=START) as sim:
        await sim.advance(5 * 3600)  # the simulated day is 11:00, the wall clock is not
        conn = cfg.connection.model_copy(update={"endpoint": sim.endpoint})
        clock = TagClock(OpcUaPlantIO(cfg.model_copy(update={"connection": conn})), "plant_time")
        await clock.connect()
        try:
            await clock.read()
            assert abs(clock.now() - (START + timedelta(hours=5))) < timedelta(seconds=1)
        finally:
            await clock.close()


def test_a_clock_tag_without_a_usable_value_holds_the_cycle() -> None:
    class Bad:
        async def read(self) -> Snapshot:
            r = TagReading(tag="plant_time", value=None, quality=Quality.BAD, status="BadNoData")
            return Snapshot(read_at=START, readings={"plant_time": r})

    clock = TagClock(Bad(), "plant_time")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"cycle\.clock_tag plant_time: no usable plant time"):
        clock.now()
    asyncio.run(clock.read())
    with pytest.raises(InputError, match="status BadNoData"):
        clock.now()


async def test_a_shed_simulator_is_reenabled_from_the_command_line() -> None:
    cfg = load_config(CONFIG).config
    async with SimulatedPlant(cfg, port=0, speed=0.0, start=START) as sim:
        sim.dcs.shed, sim.dcs.shed_reason = True, "watchdog unchanged"
        port = sim.endpoint.rsplit(":", 1)[1].split("/", 1)[0]
        proc = await spawn_plantloop("sim", str(CONFIG), "--reenable", "--port", port)
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 0, err.decode()
        assert out.decode().strip().endswith(": takes setpoints again")
        assert not sim.dcs.shed
