"""Server-level faults: pause with sockets open, restart on the same port."""

from __future__ import annotations

import asyncio

import pytest
from asyncua import Client, ua

from optimizer.config.schema import PlantConfig
from optimizer.sim import SimulatedPlant


def _node(cfg: PlantConfig, idx: int, tag: str) -> ua.NodeId:
    return ua.NodeId.from_string(f"ns={idx};{cfg.tags[tag].node}")


async def test_pause_freezes_answers_and_restart_serves_again(demo_cfg: PlantConfig) -> None:
    async with SimulatedPlant(demo_cfg, speed=0) as sim:
        client = Client(sim.endpoint, timeout=1.0)
        await client.connect()
        idx = await client.get_namespace_index(demo_cfg.connection.namespace_uri)
        nid = _node(demo_cfg, idx, "chp_load")
        await client.uaclient.read_attributes([nid], ua.AttributeIds.Value)

        await sim.pause()
        assert sim.paused
        with pytest.raises((asyncio.TimeoutError, TimeoutError)):
            await asyncio.wait_for(
                client.uaclient.read_attributes([nid], ua.AttributeIds.Value), 0.5
            )
        # a new TCP connection is accepted (socket open) but never answered
        fresh = Client(sim.endpoint, timeout=0.5)
        with pytest.raises((asyncio.TimeoutError, TimeoutError, ConnectionError, OSError)):
            await asyncio.wait_for(fresh.connect(), 1.0)
        await sim.resume()
        assert not sim.paused
        # buffered requests are answered after the pause; the session lives on
        (dv,) = await asyncio.wait_for(
            client.uaclient.read_attributes([nid], ua.AttributeIds.Value), 2.0
        )
        assert dv.StatusCode.is_good()
        await client.disconnect()

        port = sim.port
        async with Client(sim.endpoint, timeout=2) as c2:
            await sim.restart(down_s=0.2)
            with pytest.raises((ConnectionError, ua.UaError, asyncio.TimeoutError, OSError)):
                await asyncio.wait_for(
                    c2.uaclient.read_attributes([nid], ua.AttributeIds.Value), 1.0
                )
        assert sim.port == port
        async with Client(sim.endpoint, timeout=2) as c3:
            (dv,) = await c3.uaclient.read_attributes([nid], ua.AttributeIds.Value)
            assert dv.StatusCode.is_good()


async def test_timed_pause_through_the_control_folder(demo_cfg: PlantConfig) -> None:
    async with SimulatedPlant(demo_cfg, speed=0) as sim, Client(sim.endpoint, timeout=2) as c:
        idx = await c.get_namespace_index(demo_cfg.connection.namespace_uri)
        ctl = ua.NodeId("Sim.Control.PauseSeconds", idx)
        (st,) = await c.uaclient.write_attributes(
            [ctl], [ua.DataValue(ua.Variant(0.6, ua.VariantType.Double))]
        )
        assert st.is_good()
        await asyncio.sleep(0.15)
        assert sim.paused
        await asyncio.sleep(0.8)
        assert not sim.paused
        nid = _node(demo_cfg, idx, "chp_load")
        (dv,) = await asyncio.wait_for(
            c.uaclient.read_attributes([nid], ua.AttributeIds.Value), 2.0
        )
        assert dv.StatusCode.is_good()


async def test_stop_and_start_serving_keep_the_plant_running(demo_cfg: PlantConfig) -> None:
    async with SimulatedPlant(demo_cfg, speed=3600, tick_s=0.05) as sim:
        await sim.stop_serving()
        t0 = sim.now()
        with pytest.raises((ConnectionError, OSError, asyncio.TimeoutError, TimeoutError)):
            await asyncio.wait_for(Client(sim.endpoint, timeout=0.5).connect(), 1.0)
        await asyncio.sleep(0.3)
        assert (sim.now() - t0).total_seconds() > 300  # simulated time went on
        await sim.start_serving()
        async with Client(sim.endpoint, timeout=2) as c:
            idx = await c.get_namespace_index(demo_cfg.connection.namespace_uri)
            assert idx == sim.namespace_index


async def test_restart_forgets_sessions_with_subscriptions(demo_cfg: PlantConfig) -> None:
    async with SimulatedPlant(demo_cfg, speed=0) as sim:
        c = Client(sim.endpoint, timeout=2)
        await c.connect()
        sub = await c.create_subscription(100, None)
        idx = await c.get_namespace_index(demo_cfg.connection.namespace_uri)
        await sub.subscribe_data_change(c.get_node(_node(demo_cfg, idx, "chp_load")))
        assert sim._server is not None and sim._server.iserver._external_sessions
        await sim.restart(down_s=0.1)
        assert not sim._server.iserver._external_sessions
        c.disconnect_socket()
