"""The console inside ``plantloop run``/``demo``: the same event loop as the cycle."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from optimizer.console.access import Bind
from optimizer.console.live import LiveFeed
from optimizer.console.server import ConsoleServer
from optimizer.cycle.record import CycleSummary
from optimizer.service.loop import LoopService, RunStats


def attach(service: LoopService) -> LiveFeed:
    """A live feed fed by the service's cycle hook and the plant I/O's state listener."""
    feed = LiveFeed(
        plant=service.cfg.plant.name,
        advisory=service.advisory,
        period_s=service.cfg.cycle.period_s,
        state=lambda: service.state.value,
        next_run=service.next_run,
    )
    service.io.add_state_listener(feed.connection_changed)
    before = service.on_cycle

    def on_cycle(summary: CycleSummary) -> None:
        if before is not None:
            before(summary)
        feed.cycle_ended(summary)

    service.on_cycle = on_cycle
    service.on_note = feed.note
    return feed


async def run_with_console(
    service: LoopService, db: Path, bind: Bind, say: Callable[[str], None]
) -> RunStats:
    """Start the console, run the loop until it stops, stop the console."""
    server = ConsoleServer(db, bind, attach(service))
    await server.start()
    say(f"console at {bind.url.replace(f':{bind.port}/', f':{server.port}/')}")
    try:
        return await service.run()
    finally:
        await server.stop()
