"""What the operator sees in the terminal: the loop's plan at start, one line per cycle."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterator

from rich.console import Console
from rich.table import Table

from optimizer.config.connection import SecurityPolicy
from optimizer.config.schema import PlantConfig
from optimizer.cycle.record import CycleSummary
from optimizer.plantio.types import ConnectionState

_STYLE = {
    "wrote": "green",
    "no_change": "green",
    "advisory": "cyan",
    "shed": "bold red",
    "write_failed": "red",
    "error": "bold red",
}


class StatusPrinter:
    def __init__(self, console: Console | None = None, *, quiet: bool = False) -> None:
        self.console = console or Console(highlight=False)
        self.quiet = quiet

    def plan(self, cfg: PlantConfig, *, log_path: str, advisory: bool) -> None:
        c = cfg.cycle
        roles = Counter(t.role.value for t in cfg.tags.values())
        sec = cfg.connection.security
        t = Table.grid(padding=(0, 2))
        t.add_row("plant", cfg.plant.name)
        t.add_row("endpoint", cfg.connection.endpoint)
        if sec.policy is SecurityPolicy.NONE:
            t.add_row("security", "[bold red]None — unencrypted, unauthenticated (config says so)")
        else:
            t.add_row("security", f"{sec.policy.value} / {sec.mode.value}")
        t.add_row("tags", ", ".join(f"{n} {r}" for r, n in sorted(roles.items())))
        t.add_row("mode", "advisory (no setpoint writes)" if advisory else c.mode.value)
        when = f"cron '{c.cron}'" if c.cron else f"every {c.period_s:g} s"
        t.add_row(
            "cycle",
            f"{when}; solver limit {c.solver_time_limit_s:g} s; "
            f"horizon {c.horizon_steps} x {c.step_minutes:g} min",
        )
        t.add_row("decision log", log_path)
        self.console.print("[bold]plantloop[/] — loop plan")
        self.console.print(t)

    @contextlib.contextmanager
    def step(self, what: str) -> Iterator[None]:
        t0 = time.perf_counter()
        with self.console.status(f"{what} …"):
            yield
        self.console.print(f"[dim]✓ {what} ({time.perf_counter() - t0:.1f} s)[/]")

    def cycle(self, s: CycleSummary) -> None:
        if self.quiet:
            return
        style = _STYLE.get(s.outcome, "yellow")
        obj = f"obj {s.objective:,.1f}" if s.objective is not None else "obj —"
        solve = f"solve {s.solve_time_s:.2f}s" if s.solve_time_s is not None else "solve —"
        writes = " ".join(f"{k}={v:g}" for k, v in sorted(s.written.items())) or "-"
        if not s.written and s.proposed and s.outcome in ("advisory", "shed"):
            writes = "proposed " + " ".join(f"{k}={v:g}" for k, v in sorted(s.proposed.items()))
        line = (
            f"#{s.number:<4} {s.started:%H:%M:%S} [{style}]{s.outcome:<18}[/] "
            f"{obj:>16}  {solve:<11} {writes}"
        )
        self.console.print(line, soft_wrap=True)
        for r in s.reasons[:3]:
            self.console.print(f"       [dim]{r}[/]", soft_wrap=True)
        if s.outcome == "write_failed" and any("BadUserAccessDenied" in r for r in s.reasons):
            self.console.print(
                "       the control system refuses setpoint writes (shed, or no write "
                "access): re-enable plantloop there; for the simulator run "
                "`plantloop sim CONFIG --reenable` (or cycle its permissive)",
                markup=False,
                soft_wrap=True,
            )

    def connection(self, state: ConnectionState, detail: str) -> None:
        style = "green" if state is ConnectionState.CONNECTED else "yellow"
        self.console.print(f"[{style}]connection {state.value}[/] {detail}", soft_wrap=True)

    def note(self, text: str) -> None:
        self.console.print(f"[yellow]•[/] {text}", soft_wrap=True)
