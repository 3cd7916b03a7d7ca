"""The status output as JSON lines (``plantloop run --log-format json``): one object per
event on stdout, for the journal or a log shipper. Same events as :class:`StatusPrinter`."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from optimizer.config.schema import PlantConfig
from optimizer.cycle.record import CycleSummary
from optimizer.plantio.types import ConnectionState
from optimizer.service.status import StatusPrinter


class JsonStatusPrinter(StatusPrinter):
    def __init__(self, stream: TextIO) -> None:
        super().__init__(quiet=False)
        self.stream = stream

    def _emit(self, event: str, **fields: Any) -> None:
        line = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event}
        line.update(fields)
        self.stream.write(json.dumps(line, default=str, allow_nan=False) + "\n")
        self.stream.flush()

    def plan(self, cfg: PlantConfig, *, log_path: str, advisory: bool) -> None:
        c = cfg.cycle
        self._emit(
            "start",
            plant=cfg.plant.name,
            endpoint=cfg.connection.endpoint,
            security=cfg.connection.security.policy.value,
            mode="advisory" if advisory else c.mode.value,
            period_s=c.period_s,
            cron=c.cron,
            decision_log=log_path,
        )

    @contextlib.contextmanager
    def step(self, what: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        self._emit("step", what=what, seconds=round(time.perf_counter() - t0, 3))

    def cycle(self, s: CycleSummary) -> None:
        self._emit(
            "cycle",
            cycle=s.number,
            started=s.started.isoformat(),
            outcome=s.outcome,
            reasons=list(s.reasons),
            objective=s.objective,
            solve_time_s=s.solve_time_s,
            written=dict(s.written),
            recorded=s.recorded,
        )

    def connection(self, state: ConnectionState, detail: str) -> None:
        self._emit("connection", state=state.value, detail=detail)

    def note(self, text: str) -> None:
        self._emit("note", text=text)


class JsonLogFormatter(logging.Formatter):
    """Log records as JSON lines: time, level, logger, message (and the exception text)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "event": "log",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def use_json_logs() -> None:
    """Switch the root handlers (set up by the CLI) to JSON lines."""
    for h in logging.getLogger().handlers:
        h.setFormatter(JsonLogFormatter())
