"""What the running loop tells the console, and how the page hears about changes.

Inside ``plantloop run``/``demo`` the service calls :meth:`LiveFeed.cycle_ended` and the
plant I/O calls :meth:`LiveFeed.connection_changed`, both on the event loop: each only
stores a few fields and wakes the waiting event streams (microseconds, so the cycle does
not notice). Over a decision log alone (``plantloop console DB``) there is no feed and the
streams notice new cycles by polling the log's newest row id.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from optimizer.cycle.record import CycleSummary
from optimizer.plantio.types import ConnectionState


@dataclass(kw_only=True)
class LiveFeed:
    plant: str
    advisory: bool
    period_s: float | None
    state: Callable[[], str]  # the service's run state (starting / running / stopping ...)
    next_run: Callable[[], datetime | None]
    connection: str = "unknown"
    connection_detail: str = ""
    last: CycleSummary | None = None
    version: int = 0  # bumped on every change; event streams compare it
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def cycle_ended(self, summary: CycleSummary) -> None:
        self.last = summary
        self._bump()

    def connection_changed(self, state: ConnectionState, detail: str) -> None:
        self.connection = state.value
        self.connection_detail = detail
        self._bump()

    def note(self, text: str) -> None:
        """A start-up line (e.g. waiting for the server) shown as the connection detail."""
        self.connection_detail = text
        self._bump()

    def _bump(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Until the next change, or ``timeout`` seconds."""
        ev = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ev.wait(), timeout)

    def snapshot(self) -> dict[str, Any]:
        nxt = self.next_run()
        return {
            "run_state": self.state(),
            "advisory": self.advisory,
            "connection": {"state": self.connection, "detail": self.connection_detail},
            "next_run": nxt.isoformat() if nxt else None,
            "period_s": self.period_s,
            "plant": self.plant,
        }
