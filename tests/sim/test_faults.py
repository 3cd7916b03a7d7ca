"""Fault injection on tags (Python API and the OPC UA control folder)."""

from __future__ import annotations

import math

import pytest

from optimizer.sim import FaultKind, SimulatedPlant
from tests.sim.conftest import FakeWall, String, Tags

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_bad_and_uncertain_status(sim: SimulatedPlant, tags: Tags) -> None:
    sim.inject("boiler1_load", FaultKind.BAD)
    sim.inject("steam_header_p", "uncertain")
    bad, unc, ok = await tags.read("boiler1_load", "steam_header_p", "chp_load")
    assert bad.StatusCode.is_bad() and bad.StatusCode.name == "BadSensorFailure"
    assert bad.Value.Value is None  # Part 4: no value with a Bad status
    assert unc.StatusCode.is_uncertain() and isinstance(unc.Value.Value, float)
    assert ok.StatusCode.is_good()
    sim.inject("boiler1_load", FaultKind.NONE)
    (again,) = await tags.read("boiler1_load")
    assert again.StatusCode.is_good()


async def test_stale_timestamp_freezes_while_value_moves(
    sim: SimulatedPlant, tags: Tags, wall: FakeWall
) -> None:
    (before,) = await tags.read("product_temp")
    sim.inject("product_temp", FaultKind.STALE)
    wall.tick(120)
    await sim.advance(600)
    (stale,) = await tags.read("product_temp")
    (fresh,) = await tags.read("steam_header_p")
    assert stale.SourceTimestamp == before.SourceTimestamp
    assert stale.Value.Value != before.Value.Value
    assert (fresh.SourceTimestamp - before.SourceTimestamp).total_seconds() == 120


async def test_frozen_value_keeps_fresh_timestamps(
    sim: SimulatedPlant, tags: Tags, wall: FakeWall
) -> None:
    (before,) = await tags.read("steam_header_p")
    sim.inject("steam_header_p", FaultKind.FREEZE)
    for _ in range(3):
        wall.tick(10)
        await sim.advance(300)
        (dv,) = await tags.read("steam_header_p")
        assert dv.Value.Value == before.Value.Value
        assert dv.SourceTimestamp > before.SourceTimestamp


async def test_nan_on_scalars_and_forecasts(sim: SimulatedPlant, tags: Tags) -> None:
    sim.inject("ambient_temp", FaultKind.NAN)
    sim.inject("elec_demand_fc", FaultKind.NAN)
    amb, fc = await tags.read("ambient_temp", "elec_demand_fc")
    assert amb.StatusCode.is_good() and math.isnan(amb.Value.Value)
    assert len(fc.Value.Value) == 24 and all(math.isnan(v) for v in fc.Value.Value)


async def test_faults_through_the_control_folder(sim: SimulatedPlant, tags: Tags) -> None:
    assert await tags.write("Sim.Control.Fault.chp_load", "bad", String) == "Good"
    assert await tags.value("Sim.Control.Fault.chp_load") == "bad"
    (dv,) = await tags.read("chp_load")
    assert dv.StatusCode.is_bad()
    assert await tags.write("Sim.Control.Fault.chp_load", "none", String) == "Good"
    (dv,) = await tags.read("chp_load")
    assert dv.StatusCode.is_good()


async def test_unit_trip_through_the_control_folder(sim: SimulatedPlant, tags: Tags) -> None:
    from tests.sim.conftest import Boolean

    assert await tags.value("chp_running") is True
    assert await tags.write("Sim.Control.Available.chp", False, Boolean) == "Good"
    await sim.advance(1800)
    assert await tags.value("chp_avail") is False
    assert await tags.value("chp_running") is False
    assert await tags.value("chp_load") == 0.0
