"""One basis per write (safety rule 13), against the real simulator: a session lost and
re-established between the cycle's read and its write means the cycle holds, and the first
snapshot after a loss is stale."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest

from optimizer.errors import BasisChanged
from optimizer.plantio.opcua_client import OpcUaPlantIO
from optimizer.plantio.types import ConnectionState, Snapshot, WriteReport
from tests.loop.conftest import Loop


async def reconnected(io: OpcUaPlantIO) -> None:
    for _ in range(80):
        if io.state is ConnectionState.CONNECTED:
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"no reconnect: {io.state}")


class RestartBeforeWrite:
    """The real OpcUaPlantIO; before the next write the server restarts, and while the
    session is away the DCS moves a setpoint and the operator turns the permissive off."""

    def __init__(self, loop: Loop) -> None:
        self.loop, self.io = loop, loop.io
        self.armed = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.io, name)

    async def read(self) -> Snapshot:
        return await self.io.read()

    async def write(self, values: Mapping[str, float | int | bool], *, epoch: int) -> WriteReport:
        if self.armed:
            self.armed = False
            await self.loop.sim.stop_serving()
            await asyncio.sleep(0.3)
            self.loop.sim.dynamics.write_setpoint("boiler1_sp", 0.0)
            self.loop.sim.set_permissive(False)
            await self.loop.sim.start_serving()
            await reconnected(self.io)
        return await self.io.write(values, epoch=epoch)


async def test_io_refuses_a_write_computed_in_an_earlier_session(loop: Loop) -> None:
    snap = await loop.io.read()
    assert not snap.stale and snap.epoch == 1
    await loop.sim.restart()
    await reconnected(loop.io)
    with pytest.raises(BasisChanged, match="epoch 1 -> 2"):
        await loop.io.write({"boiler1_sp": 1.0}, epoch=snap.epoch)
    again = await loop.io.read()
    assert again.epoch == 2 and again.stale  # lost since the last read: the check fires
    assert not (await loop.io.read()).stale
    rep = await loop.io.write({"boiler1_sp": 1.0}, epoch=again.epoch)
    assert rep.all_ok


async def test_reconnect_between_read_and_write_holds_the_cycle(loop: Loop) -> None:
    assert [(await loop.cycle()).outcome for _ in range(2)] == ["arming", "wrote"]
    sp_before = loop.sim.dynamics.setpoints["boiler1_sp"]
    proxy = RestartBeforeWrite(loop)
    loop.runner.parts = dataclasses.replace(loop.runner.parts, io=proxy)  # type: ignore[arg-type]
    held = await loop.cycle()
    assert held.outcome == "held_bad_data", held.reasons
    assert any("connection re-established since the read" in r for r in held.reasons)
    # nothing reached the DCS: the setpoint it moved during the outage stays as it set it
    assert loop.sim.dynamics.setpoints["boiler1_sp"] == 0.0 != sp_before
    assert loop.records()[-1]["outcome"] == "held_bad_data"
    # next cycle: the first read after the loss is stale, so nothing is used from it
    stale = await loop.cycle()
    assert stale.outcome == "held_bad_data"
    issues = {i["tag"]: i["issue"] for i in loop.records()[-1]["inputs"]}
    assert "connection was lost" in issues["apc_enable"]
    # then a fresh read shows the permissive off: still nothing written
    off = await loop.cycle()
    assert off.outcome == "held_no_permissive" and not off.written
