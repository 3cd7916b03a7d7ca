"""A server that answers a request with more or fewer results than it was asked for.

OPC UA Part 4 pairs a Read's or Write's results with the request's nodes by position only,
so such an answer says nothing trustworthy about any node: a ``BrokenAnswer`` naming the
request and the counts. The cycle records it like any other failed phase (one line, no
traceback): a write's outcome is unknown for every value, nothing is replayed, nothing is
taken as written. No conforming server answers like this on demand, so the asyncua client's
request is wrapped (the one place these tests stand in for the server); the session, the
simulator, HiGHS and SQLite are real.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from asyncua.client.ua_client import UaClient

from optimizer.errors import BrokenAnswer, PlantIOError
from optimizer.plantio.opcua_client import OpcUaPlantIO
from optimizer.plantio.types import ConnectionState
from tests.loop.conftest import Loop


def _misfit(results: list[Any], extra: bool) -> list[Any]:
    return [*results, results[0]] if extra else results[:-1]


def answer_misfit(monkeypatch: pytest.MonkeyPatch, request: str, *, extra: bool = False) -> None:
    """The server answers ``request`` ("read", "write" or "read-back") with one result too
    few (or, ``extra``, too many); every other request is answered in full."""
    real_write, real_read = UaClient.write, UaClient.read
    wrote = False

    async def write(self: UaClient, params: Any) -> Any:
        nonlocal wrote
        wrote = True
        results = await real_write(self, params)
        return _misfit(results, extra) if request == "write" else results

    async def read(self: UaClient, params: Any) -> Any:
        results = await real_read(self, params)
        mine = wrote if request == "read-back" else request == "read"
        return _misfit(results, extra) if mine else results

    monkeypatch.setattr(UaClient, "write", write)
    monkeypatch.setattr(UaClient, "read", read)


EXPECTED = {
    "write": "write: the server answered {got} for 2 values; the outcome of every value is unknown",
    "read-back": "read-back: the server answered {got} for 2 values; the write was answered "
    "Good for 2 of 2, none is confirmed",
}


@pytest.mark.parametrize("extra", [False, True], ids=["too-few", "too-many"])
@pytest.mark.parametrize("request_name", ["write", "read-back"])
async def test_a_write_answered_with_a_result_too_few_or_too_many_is_a_broken_answer(
    loop: Loop, monkeypatch: pytest.MonkeyPatch, request_name: str, extra: bool
) -> None:
    snap = await loop.io.read()
    values = {t: snap.readings[t].value for t in ("boiler1_sp", "boiler2_sp")}
    accepted = loop.sim.dcs.writes_accepted
    answer_misfit(monkeypatch, request_name, extra=extra)
    with pytest.raises(BrokenAnswer) as err:
        await loop.io.write(values, epoch=snap.epoch)  # type: ignore[arg-type]
    got = "3 results" if extra else "1 result"
    assert str(err.value) == f"{loop.sim.endpoint}: " + EXPECTED[request_name].format(got=got)
    assert loop.sim.dcs.writes_accepted > accepted  # the server took it: the outcome is unknown
    # a broken answer is no lost session: a reconnect does not mend the server
    assert loop.io.state is ConnectionState.CONNECTED


@pytest.mark.parametrize("extra", [False, True], ids=["too-few", "too-many"])
async def test_a_read_answered_with_a_result_too_few_or_too_many_is_a_broken_answer(
    loop: Loop, monkeypatch: pytest.MonkeyPatch, extra: bool
) -> None:
    first = await loop.io.read()
    n = len(loop.cfg.tags)
    answer_misfit(monkeypatch, "read", extra=extra)
    with pytest.raises(BrokenAnswer) as err:
        await loop.io.read()
    got = n + 1 if extra else n - 1
    assert str(err.value) == (
        f"{loop.sim.endpoint}: read: the server answered {got} results for {n} tags; "
        "none of its values is used"
    )
    monkeypatch.undo()
    assert loop.io.state is ConnectionState.CONNECTED
    again = await loop.io.read()  # the same session answers again, nothing to re-read
    assert (
        again.epoch == first.epoch and not again.stale and set(again.readings) == set(loop.cfg.tags)
    )


@pytest.mark.parametrize("request_name", ["write", "read-back"])
async def test_a_cycle_whose_write_is_answered_a_result_short_is_write_failed_and_says_why(
    loop: Loop,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    request_name: str,
) -> None:
    """Nothing of the batch counts as written (move limits keep their last confirmed
    values, the refusal counts toward shedding), the outcome says why in one line, and the
    cycle's record says every planned setpoint was not written."""
    assert (await loop.cycle()).outcome == "arming"
    il = loop.runner.parts.interlocks
    last_written = dict(il.last_written)
    answer_misfit(monkeypatch, request_name)
    caplog.set_level(logging.INFO)
    s = await loop.cycle()
    assert s.outcome == "write_failed", s.reasons
    text = " | ".join(s.reasons)
    assert f"write failed: {loop.sim.endpoint}: {request_name}: the server answered" in text
    assert "unexpected" not in text and "ValueError" not in text
    assert not [r for r in caplog.records if r.exc_info], "a broken answer is no bug: no trace"
    assert il.write_failures == 1 and il.last_written == last_written
    rec = loop.records()[-1]
    assert rec["outcome"] == "write_failed"
    for sp in rec["setpoints"]:
        assert sp["sent"] is None and sp["written"] is None and sp["write_status"] is None, sp
    # the values went out (a short read-back follows Good statuses): never "not written"
    assert any("not confirmed: the write phase failed" in sp["reason"] for sp in rec["setpoints"])
    assert not any("not written" in sp["reason"] for sp in rec["setpoints"])


async def test_a_cycle_whose_read_is_answered_a_result_short_holds_and_says_why(
    loop: Loop, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await loop.cycle()).outcome == "arming"
    accepted, wd = loop.sim.dcs.writes_accepted, loop.sim.dynamics.watchdog
    answer_misfit(monkeypatch, "read")
    caplog.set_level(logging.INFO)
    s = await loop.cycle()
    assert s.outcome == "held_bad_data", s.reasons
    n = len(loop.cfg.tags)
    line = (
        f"read failed: {loop.sim.endpoint}: read: the server answered {n - 1} results for {n} "
        "tags; none of its values is used"
    )
    assert line in s.reasons, s.reasons
    assert not [r for r in caplog.records if r.exc_info]
    assert loop.sim.dcs.writes_accepted == accepted and loop.sim.dynamics.watchdog == wd


@pytest.mark.parametrize(
    ("method", "what"),
    [("read", "DataType read"), ("browse", "EURange browse")],
)
async def test_a_connect_answered_a_result_short_is_a_broken_answer_not_a_session(
    loop: Loop, monkeypatch: pytest.MonkeyPatch, method: str, what: str
) -> None:
    """The nodes' DataTypes and EURanges feed every write's type and clamp: a set-up answer
    that does not fit leaves plantloop unconnected, with one line naming the step."""
    real = getattr(UaClient, method)

    async def short(self: UaClient, params: Any) -> Any:
        results = await real(self, params)
        return results[:-1] if len(results) > 1 else results  # not the namespace array read

    monkeypatch.setattr(UaClient, method, short)
    io = OpcUaPlantIO(loop.cfg)
    try:
        with pytest.raises(
            PlantIOError,
            match=f"^{loop.sim.endpoint}: {what}: the server "
            "answered .* results? for .*; not connected$",
        ) as err:
            await io.connect()
        assert isinstance(err.value, BrokenAnswer)
        assert io.state is ConnectionState.DISCONNECTED
    finally:
        await io.close()
