"""`plantloop run --log-format json`: every status line and log record is one JSON object."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

from optimizer.cycle.record import CycleSummary
from optimizer.plantio.types import ConnectionState
from optimizer.service.status_json import JsonLogFormatter, JsonStatusPrinter


def test_status_events_are_json_lines() -> None:
    out = io.StringIO()
    p = JsonStatusPrinter(out)
    t = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    p.cycle(
        CycleSummary(
            number=7,
            started=t,
            ended=t,
            outcome="held_no_permissive",
            reasons=("permissive apc_enable is off",),
            objective=None,
            solve_time_s=0.4,
            written={},
        )
    )
    p.connection(ConnectionState.CONNECTED, "opc.tcp://x")
    with p.step("building the model"):
        pass
    p.note('a "quoted" note')
    lines = [json.loads(ln) for ln in out.getvalue().splitlines()]
    assert [ln["event"] for ln in lines] == ["cycle", "connection", "step", "note"]
    assert lines[0]["outcome"] == "held_no_permissive" and lines[0]["cycle"] == 7
    assert lines[0]["reasons"] == ["permissive apc_enable is off"]
    assert lines[3]["text"] == 'a "quoted" note'
    assert all(ln["ts"].endswith("+00:00") for ln in lines)


def test_log_records_are_json() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        rec = logging.LogRecord(
            "plantloop.cycle", logging.ERROR, __file__, 1, "cycle %d", (3,), None
        )
        import sys

        rec.exc_info = sys.exc_info()
    d = json.loads(JsonLogFormatter().format(rec))
    assert (
        d["level"] == "error" and d["message"] == "cycle 3" and "ValueError: boom" in d["exception"]
    )
