"""The simulated plant over OPC UA, driven by a plain asyncua client (no plantloop client)."""

from __future__ import annotations

import math

import pytest
from asyncua import ua

from optimizer.config.schema import PlantConfig
from optimizer.config.tags import TagRole
from optimizer.sim import SimulatedPlant
from tests.sim.conftest import Boolean, Double, FakeWall, String, Tags, UInt32

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_every_tag_is_served_with_its_type(tags: Tags, demo_cfg: PlantConfig) -> None:
    names = list(demo_cfg.tags)
    dvs = await tags.read(*names)
    h = demo_cfg.cycle.horizon_steps
    for name, dv in zip(names, dvs, strict=True):
        role = demo_cfg.tags[name].role
        assert dv.StatusCode.is_good(), name
        assert dv.SourceTimestamp is not None and dv.ServerTimestamp is not None
        vt = dv.Value.VariantType
        if role is TagRole.FORECAST:
            assert vt == Double and len(dv.Value.Value) == h, name
            assert all(v >= 0 for v in dv.Value.Value)
        elif role is TagRole.WATCHDOG:
            assert vt == UInt32
        elif role is TagRole.PERMISSIVE or name.endswith(("_avail", "_running")):
            assert vt == Boolean, name
        else:
            assert vt == Double, name
    dtypes = await tags.client.uaclient.read_attributes(
        [tags.nid("plantloop_watchdog"), tags.nid("apc_enable"), tags.nid("elec_demand_fc")],
        ua.AttributeIds.DataType,
    )
    assert [d.Value.Value for d in dtypes] == [
        ua.NodeId(ua.ObjectIds.UInt32),
        ua.NodeId(ua.ObjectIds.Boolean),
        ua.NodeId(ua.ObjectIds.Double),
    ]


async def test_setpoints_carry_eurange_and_only_setpoints_are_writable(tags: Tags) -> None:
    node = tags.client.get_node(tags.nid("boiler1_sp"))
    eu = await (await node.get_child("0:EURange")).read_value()
    assert (eu.Low, eu.High) == (0.0, 16.0)
    assert await tags.write("boiler1_load", 3.0, Double) == "BadNotWritable"
    assert await tags.write("apc_enable", False, Boolean) == "BadNotWritable"
    assert await tags.write("elec_demand_fc", [1.0] * 24, Double) == "BadNotWritable"
    assert await tags.value("apc_enable") is True
    assert await tags.write("plantloop_watchdog", 7, UInt32) == "Good"
    assert await tags.value("plantloop_watchdog") == 7


async def test_unit_output_follows_its_setpoint(sim: SimulatedPlant, tags: Tags) -> None:
    sim.dynamics.master_trim = False  # the setpoint alone, no DCS load sharing
    assert await tags.value("boiler2_running") is False
    assert await tags.write("boiler2_sp", 10.0, Double) == "Good"
    assert await tags.value("boiler2_sp") == 10.0
    await sim.advance(60)
    mid = await tags.value("boiler2_load")
    assert isinstance(mid, float) and 1.0 < mid < 9.0  # lagging, not a jump
    await sim.advance(1200)
    assert abs(await tags.value("boiler2_load") - 10.0) < 0.3  # type: ignore[operator]
    assert await tags.value("boiler2_running") is True
    assert await tags.write("boiler2_sp", 0.0, Double) == "Good"
    await sim.advance(1800)
    assert await tags.value("boiler2_running") is False
    assert await tags.value("boiler2_load") == 0.0


async def test_master_trim_shares_the_steam_gap_within_bounds(
    sim: SimulatedPlant, tags: Tags
) -> None:
    """Boiler 2 started far beyond demand: the boiler master trims both boilers down, each
    by at most 25 % of its max_load, and the excess is vented."""
    assert await tags.write("boiler2_sp", 10.0, Double) == "Good"
    await sim.advance(3600)
    b1, b2 = await tags.value("boiler1_load"), await tags.value("boiler2_load")
    assert isinstance(b1, float) and isinstance(b2, float)
    assert 10.0 - 0.25 * 12 - 0.3 <= b2 < 9.9
    assert b1 < sim.dynamics.setpoints["boiler1_sp"]
    assert sim.dynamics.flows.excess.get("steam", 0.0) > 0


async def test_battery_soc_integrates_discharge(sim: SimulatedPlant, tags: Tags) -> None:
    soc0 = await tags.value("battery_soc")
    assert await tags.write("battery_sp", 1.0, Double) == "Good"
    await sim.advance(1800)  # 0.5 h at 1 MW from 2 MWh, efficiency 0.95
    soc1 = await tags.value("battery_soc")
    assert isinstance(soc0, float) and isinstance(soc1, float)
    assert abs((soc0 - soc1) - 0.5 / 0.95 / 2.0) < 0.01


async def test_out_of_range_nan_and_wrong_type_writes_are_refused(tags: Tags) -> None:
    assert await tags.write("boiler1_sp", 16.5, Double) == "BadOutOfRange"
    assert await tags.write("boiler1_sp", -0.1, Double) == "BadOutOfRange"
    assert await tags.write("boiler1_sp", math.nan, Double) == "BadOutOfRange"
    assert await tags.write("boiler1_sp", 8, ua.VariantType.Int64) == "BadTypeMismatch"
    assert await tags.write("boiler1_sp", 16.0, Double) == "Good"
    assert await tags.value("boiler1_sp") == 16.0


async def test_eurange_changed_while_running(sim: SimulatedPlant, tags: Tags) -> None:
    sim.set_eu_range("chp_sp", 0.0, 3.0)
    eu = await (await tags.client.get_node(tags.nid("chp_sp")).get_child("0:EURange")).read_value()
    assert (eu.Low, eu.High) == (0.0, 3.0)
    assert await tags.write("chp_sp", 3.5, Double) == "BadOutOfRange"
    assert await tags.write("chp_sp", 3.0, Double) == "Good"
    assert sim.dcs.rejected_count == 1


async def test_watchdog_stop_sheds_until_reenabled(
    sim: SimulatedPlant, tags: Tags, wall: FakeWall
) -> None:
    assert await tags.write("plantloop_watchdog", 1, UInt32) == "Good"
    wall.tick(20)
    assert await tags.write("plantloop_watchdog", 2, UInt32) == "Good"
    wall.tick(25)
    assert not sim.check_watchdog() and not sim.shed  # 25 s < 30 s since the last change
    assert await tags.write("chp_sp", 2.5, Double) == "Good"
    wall.tick(10)
    assert await tags.write("plantloop_watchdog", 2, UInt32) == "Good"  # same value: no beat
    # the simulator's own clock task checks the watchdog too and may shed first
    sim.check_watchdog()
    assert sim.shed and "unchanged for 35.0 s > 30 s" in sim.dcs.shed_reason
    assert await tags.write("chp_sp", 3.0, Double) == "BadUserAccessDenied"
    assert await tags.value("Sim.Dcs.Shed") is True
    assert await tags.value("chp_sp") == 2.5
    assert await tags.write("plantloop_watchdog", 3, UInt32) == "Good"  # heartbeat still taken
    assert await tags.write("chp_sp", 3.0, Double) == "BadUserAccessDenied"
    # operator cycles the permissive through the control folder
    assert await tags.write("Sim.Control.Permissive", False, Boolean) == "Good"
    assert await tags.value("apc_enable") is False
    assert await tags.write("Sim.Control.Permissive", True, Boolean) == "Good"
    assert not sim.shed
    assert await tags.write("chp_sp", 3.0, Double) == "Good"


async def test_reenable_control_node_clears_a_shed(
    sim: SimulatedPlant, tags: Tags, wall: FakeWall
) -> None:
    await tags.write("plantloop_watchdog", 1, UInt32)
    wall.tick(31)
    sim.check_watchdog()
    assert await tags.write("chp_sp", 2.0, Double) == "BadUserAccessDenied"
    assert await tags.write("Sim.Control.Reenable", True, Boolean) == "Good"
    assert await tags.write("chp_sp", 2.0, Double) == "Good"


async def test_not_armed_watchdog_never_sheds(sim: SimulatedPlant, wall: FakeWall) -> None:
    wall.tick(3600)
    assert not sim.check_watchdog()


async def test_writes_without_permissive_are_recorded_as_violations(
    sim: SimulatedPlant, tags: Tags
) -> None:
    sim.set_permissive(False)
    assert await tags.write("chp_sp", 2.0, Double) == "Good"
    assert sim.dcs.violations and "chp_sp" in sim.dcs.violations[0]


async def test_costs_and_clock_are_exposed(sim: SimulatedPlant, tags: Tags) -> None:
    t0 = await tags.value("Sim.Time")
    await sim.advance(3600)
    t1 = await tags.value("Sim.Time")
    assert (t1 - t0).total_seconds() == 3600  # type: ignore[operator]
    actual, base = await tags.value("Sim.Cost.Actual"), await tags.value("Sim.Cost.Baseline")
    assert isinstance(actual, float) and isinstance(base, float)
    assert actual > 0 and base > 0
    assert await tags.write("Sim.Control.Speed", 120.0, Double) == "Good"
    assert sim.speed == 120.0
    assert await tags.write("Sim.Control.Fault.chp_load", "weird", String) == "BadOutOfRange"


async def test_subscriptions_receive_simulated_changes(sim: SimulatedPlant, tags: Tags) -> None:
    import asyncio

    got: list[object] = []

    class Handler:
        def datachange_notification(self, node: object, val: object, data: object) -> None:
            got.append(val)

    sub = await tags.client.create_subscription(50, Handler())
    try:
        await sub.subscribe_data_change(tags.client.get_node(tags.nid("steam_header_p")))
        await asyncio.sleep(0.2)
        first = len(got)
        assert first >= 1  # the initial value
        for _ in range(3):
            await sim.advance(60)
            await asyncio.sleep(0.15)
        assert len(got) > first
    finally:
        await sub.delete()
