"""The write path against the real simulator: what OpcUaPlantIO refuses before sending, a
DCS that acknowledges Good but holds another value, and no write once a stop was asked for.
Each test kills a mutant a mutation run left alive (issue 9, "Tests that can fail")."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest
from asyncua import ua
from asyncua.client.ua_client import UaClient

from optimizer.errors import ConnectError, WriteRefused
from optimizer.plantio.opcua_client import OpcUaPlantIO
from optimizer.plantio.types import ConnectionState
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


# --- a server that answers the write request itself badly --------------------------------
# No conforming server answers these on demand, so the asyncua client's request is wrapped
# (the one place these tests stand in for the server); everything else is the real session.


async def _bad_status(self: UaClient, params: Any) -> Any:
    """A server answering the request itself with a service-level Bad status."""
    raise ua.UaStatusCodeError(ua.StatusCodes.BadTooManyOperations)


def bad_request(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    """The server answers ``method`` on the write path (the write, or the read-back after
    it) with a service-level Bad status; the cycle's own read before it is answered."""
    real_write, real_read = UaClient.write, UaClient.read
    wrote = False

    async def write(self: UaClient, params: Any) -> Any:
        nonlocal wrote
        wrote = True
        if method == "write":
            await _bad_status(self, params)
        return await real_write(self, params)

    async def read(self: UaClient, params: Any) -> Any:
        if wrote:  # the read-back, not the cycle's read
            await _bad_status(self, params)
        return await real_read(self, params)

    monkeypatch.setattr(UaClient, "write", write)
    if method == "read":
        monkeypatch.setattr(UaClient, "read", read)


@pytest.mark.parametrize("request_name", ["write", "read"])
async def test_a_bad_status_on_the_write_or_read_back_request_is_a_lost_session(
    loop: Loop, monkeypatch: pytest.MonkeyPatch, request_name: str
) -> None:
    """A service fault on the write (or its read-back) request leaves the outcome unknown: the
    session counts as lost (reconnect, new epoch, the next read stale), never replayed."""
    snap = await loop.io.read()
    seen: list[tuple[ConnectionState, str]] = []
    loop.io.add_state_listener(lambda state, detail: seen.append((state, detail)))
    bad_request(monkeypatch, request_name)
    with pytest.raises(ConnectError, match="BadTooManyOperations") as err:
        await loop.io.write({"boiler1_sp": 8.0}, epoch=snap.epoch)
    assert "failed:" not in str(err.value)  # the cycle names the phase; no setup step's label
    assert str(err.value) == f"{loop.sim.endpoint}: BadTooManyOperations"
    assert loop.io.state is not ConnectionState.CONNECTED
    # the console's "connection lost" line names the request that failed
    which = "write" if request_name == "write" else "read-back"
    assert seen[0] == (ConnectionState.LOST, f"({which}: BadTooManyOperations)")


async def test_a_bad_status_on_the_cycles_read_request_is_a_lost_session(
    loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cycle's own read answered with a service-level Bad status: the session counts as
    lost (reconnect; the next read is stale), not as a one-off error on a good session."""

    seen: list[tuple[ConnectionState, str]] = []
    loop.io.add_state_listener(lambda state, detail: seen.append((state, detail)))
    monkeypatch.setattr(UaClient, "read", _bad_status)
    with pytest.raises(ConnectError, match="BadTooManyOperations") as err:
        await loop.io.read()
    assert str(err.value) == f"{loop.sim.endpoint}: BadTooManyOperations"
    assert loop.io.state is not ConnectionState.CONNECTED
    assert seen[0] == (ConnectionState.LOST, "(read: BadTooManyOperations)")


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            ConnectionResetError("reset by peer"),
            "resolve failed: ConnectionResetError: reset by peer",
        ),
        (ua.UaStatusCodeError(ua.StatusCodes.BadTooManyOperations), "BadTooManyOperations"),
    ],
    ids=["connection", "bad-status"],
)
async def test_a_set_up_request_that_fails_names_its_step(
    loop: Loop, monkeypatch: pytest.MonkeyPatch, error: Exception, message: str
) -> None:
    """At connect no cycle names the phase: a set-up request (here the nodes' DataType read)
    that fails says which step failed; one answered with a Bad status is that status."""
    real_read = UaClient.read

    async def read(self: UaClient, params: Any) -> Any:
        if len(params.NodesToRead) > 1:  # not the namespace array
            raise error
        return await real_read(self, params)

    monkeypatch.setattr(UaClient, "read", read)
    io = OpcUaPlantIO(loop.cfg)
    try:
        with pytest.raises(ConnectError) as err:
            await io.connect()
        assert str(err.value) == f"{loop.sim.endpoint}: {message}"
        assert io.state is ConnectionState.DISCONNECTED
    finally:
        await io.close()


async def test_a_read_back_answered_bad_is_no_confirmation_even_with_the_value(
    loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    snap = await loop.io.read()
    real_write, real_read = UaClient.write, UaClient.read
    wrote = False

    async def write(self: UaClient, params: Any) -> Any:
        nonlocal wrote
        wrote = True
        return await real_write(self, params)

    async def read(self: UaClient, params: Any) -> Any:
        results = await real_read(self, params)
        if not wrote:
            return results
        bad = ua.StatusCode(ua.StatusCodes.BadNotReadable)
        return [ua.DataValue(dv.Value, bad) for dv in results]  # the value, but Bad

    monkeypatch.setattr(UaClient, "write", write)
    monkeypatch.setattr(UaClient, "read", read)
    rep = await loop.io.write({"boiler1_sp": 8.0}, epoch=snap.epoch)
    (o,) = rep.outcomes
    assert o.ok and o.read_back is None and not o.read_back_matches and not rep.all_ok


async def test_a_double_read_back_within_round_off_is_a_match(loop: Loop) -> None:
    """A DCS that stores a Double with a last-bit difference still confirms the write."""
    store = loop.sim.dynamics.write_setpoint

    def write_setpoint(tag: str, value: float) -> None:
        store(tag, value * (1 + 1e-14))

    loop.sim.dynamics.write_setpoint = write_setpoint  # type: ignore[method-assign]
    snap = await loop.io.read()
    rep = await loop.io.write({"boiler1_sp": 8.3}, epoch=snap.epoch)
    (o,) = rep.outcomes
    assert o.read_back != 8.3 and o.read_back_matches and rep.all_ok


async def test_nothing_is_sent_on_a_session_declared_lost(
    loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a request failed with a Bad status the session is lost: the next write is not
    sent on it, even though its socket may still be open."""
    snap = await loop.io.read()
    real_read = UaClient.read

    monkeypatch.setattr(UaClient, "read", _bad_status)
    with pytest.raises(ConnectError):
        await loop.io.read()
    monkeypatch.setattr(UaClient, "read", real_read)
    accepted = loop.sim.dcs.writes_accepted
    with pytest.raises(ConnectError, match="not connected"):
        await loop.io.write({"boiler1_sp": 8.0}, epoch=snap.epoch)
    assert loop.sim.dcs.writes_accepted == accepted


async def test_a_write_request_that_never_answers_is_a_lost_session(
    loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request's own timeout (connection.request_timeout_s, 5 s here) ends a write the
    server never answers and counts the session as lost; it does not wait for the cycle."""
    snap = await loop.io.read()

    async def write(self: UaClient, params: Any) -> Any:
        await asyncio.sleep(3600)

    monkeypatch.setattr(UaClient, "write", write)
    with pytest.raises(ConnectError, match="no answer within 5 s"):
        await asyncio.wait_for(loop.io.write({"boiler1_sp": 8.0}, epoch=snap.epoch), 15)
    assert loop.io.state is not ConnectionState.CONNECTED
