"""What an operator reads when the connection drops: no doubled words, no empty details."""

from __future__ import annotations

import asyncio

import pytest

from optimizer.config.loader import load_config
from optimizer.errors import ConnectError
from optimizer.plantio.opcua_client import OpcUaPlantIO
from optimizer.plantio.types import ConnectionState
from optimizer.sim import SimulatedPlant
from tests.plantio.test_client_security import REPO


async def test_lost_and_timed_out_messages_read_once_and_say_something() -> None:
    cfg = load_config(REPO / "config" / "demo.yaml").config
    async with SimulatedPlant(cfg, port=0, speed=0) as sim:
        conn = cfg.connection.model_copy(
            update={"endpoint": sim.endpoint, "request_timeout_s": 1.0}
        )
        io = OpcUaPlantIO(cfg.model_copy(update={"connection": conn}))
        lines: list[str] = []
        io.add_state_listener(lambda s, d: lines.append(f"connection {s.value} {d}"))
        await io.connect()
        try:
            await sim.pause()
            with pytest.raises(ConnectError) as e:
                await io.read()
            assert str(e.value) == f"{sim.endpoint}: no answer within 1 s"
            await sim.resume()
            await sim.stop_serving()
            for _ in range(50):
                if any("reconnect failed" in ln for ln in lines):
                    break
                await asyncio.sleep(0.1)
        finally:
            await io.close()
    assert any(ln.startswith("connection lost (read: no answer within 1 s)") for ln in lines)
    for ln in lines:
        assert "lost connection lost" not in ln and "lost: connection lost" not in ln, ln
        assert "()" not in ln and ": )" not in ln and not ln.rstrip().endswith(":"), ln
    assert io.state is ConnectionState.DISCONNECTED


async def test_a_failure_during_the_first_connect_starts_no_reconnect() -> None:
    """The first connect's resolve fails (or the socket drops meanwhile): connect raises,
    and no background reconnect is left running (it used to be, and could end with the
    state CONNECTED and no client: 'not connected (connected)')."""
    cfg = load_config(REPO / "config" / "demo.yaml").config
    async with SimulatedPlant(cfg, port=0, speed=0) as sim:
        conn = cfg.connection.model_copy(
            update={"endpoint": sim.endpoint, "request_timeout_s": 1.0}
        )
        io = OpcUaPlantIO(cfg.model_copy(update={"connection": conn}))
        states: list[ConnectionState] = []
        io.add_state_listener(lambda s, d: states.append(s))
        resolve = io._resolve

        async def freeze_then_resolve(client: object) -> None:
            await sim.pause()
            await resolve(client)  # type: ignore[arg-type]

        io._resolve = freeze_then_resolve  # type: ignore[method-assign]
        with pytest.raises(ConnectError):
            await io.connect()
        await sim.resume()
        await asyncio.sleep(1.5)
        assert io.state is ConnectionState.DISCONNECTED and io._reconnect is None, states
        await io.close()
