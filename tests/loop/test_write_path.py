"""The write path against the real simulator: what OpcUaPlantIO refuses before sending, a
DCS that acknowledges Good but holds another value, and no write once a stop was asked for.
Each test kills a mutant a mutation run left alive (issue 9, "Tests that can fail")."""

from __future__ import annotations

import math

import pytest

from optimizer.errors import WriteRefused
from tests.loop.conftest import Loop


@pytest.mark.parametrize(
    ("batch", "why"),
    [
        ({"apc_enable": False}, "role permissive"),
        ({"steam_header_p": 1.0}, "role measurement"),
        ({"boiler1_sp": 8.0, "no_such_tag": 1.0}, "not a configured tag"),
        ({"boiler1_sp": 8.0, "apc_enable": False}, "role permissive"),
    ],
)
async def test_writer_refuses_all_but_setpoints_and_watchdog_before_sending(
    loop: Loop, batch: dict[str, float | bool], why: str
) -> None:
    snap = await loop.io.read()
    before = loop.sim.dcs.writes_accepted
    with pytest.raises(WriteRefused, match=why):
        await loop.io.write(batch, epoch=snap.epoch)
    assert loop.sim.dcs.writes_accepted == before  # nothing of the batch was sent
    assert loop.sim.dynamics.permissive is True


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
async def test_writer_refuses_non_finite_floats_before_sending(loop: Loop, value: float) -> None:
    snap = await loop.io.read()
    before = loop.sim.dcs.writes_accepted, loop.sim.dcs.rejected_count
    with pytest.raises(WriteRefused, match="not finite"):
        await loop.io.write({"boiler1_sp": 8.0, "hx_steam_sp": value}, epoch=snap.epoch)
    assert (loop.sim.dcs.writes_accepted, loop.sim.dcs.rejected_count) == before


def rounding_dcs(loop: Loop) -> None:
    """A DCS that acknowledges a setpoint Good but holds it rounded to a whole number."""
    store = loop.sim.dynamics.write_setpoint

    def write_setpoint(tag: str, value: float) -> None:
        store(tag, float(round(value)))

    loop.sim.dynamics.write_setpoint = write_setpoint  # type: ignore[method-assign]


async def test_acknowledged_but_read_back_different_is_not_a_match(loop: Loop) -> None:
    rounding_dcs(loop)
    snap = await loop.io.read()
    rep = await loop.io.write({"boiler1_sp": 8.4}, epoch=snap.epoch)
    (o,) = rep.outcomes
    assert o.ok and o.status == "Good"
    assert o.read_back == 8.0 and not o.read_back_matches and not rep.all_ok


async def test_cycle_whose_write_reads_back_different_is_write_failed(loop: Loop) -> None:
    assert (await loop.cycle()).outcome == "arming"
    rounding_dcs(loop)
    s = await loop.cycle()
    assert s.outcome == "write_failed", s.reasons
    assert any("read back" in r for r in s.reasons)
    assert loop.runner.parts.interlocks.write_failures == 1


async def test_nothing_is_written_once_a_stop_was_requested(loop: Loop) -> None:
    assert (await loop.cycle()).outcome == "arming"
    wd = loop.sim.dynamics.watchdog
    accepted = loop.sim.dcs.writes_accepted
    loop.runner.stop_requested = True
    s = await loop.cycle()
    assert s.outcome == "abandoned" and "stop requested" in " ".join(s.reasons)
    assert loop.sim.dynamics.watchdog == wd and loop.sim.dcs.writes_accepted == accepted
