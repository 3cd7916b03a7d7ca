"""Random records survive the compact storage exactly, and the chain never raises a false
alarm: what `verify` recomputes from the file is what `append` hashed."""

from __future__ import annotations

import dataclasses
import math
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.decisions import DecisionLog, InputRecord, SetpointRecord
from optimizer.decisions.chain import verify
from optimizer.decisions.query import open_log, read_records
from tests.decision_log.test_store import T0, record

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    floats,
    st.tuples(floats, floats).map(tuple),
)
times = st.one_of(
    st.none(),
    st.integers(min_value=-86_400_000_000, max_value=86_400_000_000).map(
        lambda us: T0 + timedelta(microseconds=us)
    ),
)


@st.composite
def inputs(draw: st.DrawFn) -> tuple[InputRecord, ...]:
    n = draw(st.integers(min_value=0, max_value=6))
    out = []
    for k in range(n):
        v = draw(scalars)
        used = v if draw(st.booleans()) else draw(scalars)
        out.append(
            InputRecord(
                tag=f"tag{k}",
                value=v,
                quality=draw(st.sampled_from([None, "good", "uncertain", "bad"])),
                status=draw(st.sampled_from([None, "Good", "BadSensorFailure", "Uncertain"])),
                source_ts=draw(times),
                used=used,
                issue=draw(st.sampled_from(["", "frozen 4 cycles", "ünïcode ✓"])),
                substituted=draw(st.booleans()),
            )
        )
    return tuple(out)


finite = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False))


@st.composite
def setpoints(draw: st.DrawFn) -> tuple[SetpointRecord, ...]:
    return tuple(
        SetpointRecord(
            tag=f"sp{k}",
            current=draw(finite),
            proposed=draw(finite),
            clamped_to=draw(finite),
            sent=draw(finite),
            written=draw(finite),
            read_back=draw(finite),
            write_status=draw(st.sampled_from([None, "Good", "BadOutOfRange"])),
            reason=draw(st.sampled_from(["", "move limited"])),
        )
        for k in range(draw(st.integers(min_value=0, max_value=3)))
    )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b) and type(a) is type(b)


@settings(max_examples=30, deadline=None)
@given(batch=st.lists(st.tuples(inputs(), setpoints()), min_size=1, max_size=4))
def test_random_records_round_trip_and_verify(
    batch: list[tuple[tuple[InputRecord, ...], tuple[SetpointRecord, ...]]],
) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "log.sqlite"
        log = DecisionLog(path)
        wanted = []
        for n, (ins, sps) in enumerate(batch, start=1):
            rec = dataclasses.replace(
                record(n), inputs=ins, setpoints=sps, started=datetime(2026, 11, 25, tzinfo=UTC)
            )
            log.append(rec)
            wanted.append(rec.to_dict())
        log.close()
        got = read_records(path)
        db = open_log(path)
        try:
            v = verify(db)
        finally:
            db.close()
    assert v.ok, v.problem
    for g, w in zip(got, wanted, strict=True):
        by_tag = {i["tag"]: i for i in g["inputs"]}
        assert len(by_tag) == len(w["inputs"])
        for i in w["inputs"]:
            for k, x in i.items():
                assert _same(by_tag[i["tag"]][k], x), (k, by_tag[i["tag"]][k], x)
        assert {s["tag"]: s for s in g["setpoints"]} == {s["tag"]: s for s in w["setpoints"]}
