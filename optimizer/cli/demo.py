"""`plantloop demo` — the built-in simulated plant and the closed loop, in one command."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from optimizer.cli._common import console, fail, handle_errors, print_plain
from optimizer.cli._http import HttpOpt, TlsCertOpt, TlsKeyOpt, http_bind
from optimizer.config.loader import load_config
from optimizer.config.schema import PlantConfig

if TYPE_CHECKING:
    from optimizer.console.access import Bind
    from optimizer.service.loop import RunStats
    from optimizer.sim import SimulatedPlant

REPO_DEMO = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"


def register(app: typer.Typer) -> None:
    @app.command("demo")
    @handle_errors
    def demo(
        cycles: Annotated[int, typer.Option("--cycles", min=1, help="Cycles to run.")] = 12,
        speed: Annotated[
            float | None,
            typer.Option(
                "--speed",
                min=1.0,
                help="Simulated seconds per real second (default: one horizon step per cycle).",
            ),
        ] = None,
        period: Annotated[
            float, typer.Option("--period", min=0.5, help="Cycle period in real seconds.")
        ] = 4.0,
        config: Annotated[Path, typer.Option("--config", help="Plant to simulate.")] = REPO_DEMO,
        log_path: Annotated[
            Path | None, typer.Option("--log", help="Decision log (default: a temp file).")
        ] = None,
        http: HttpOpt = None,
        tls_cert: TlsCertOpt = None,
        tls_key: TlsKeyOpt = None,
    ) -> None:
        """Serve the demo plant on a free loopback port and run the loop against it."""
        if not config.exists():
            raise fail(f"{config}: demo config not found (pass --config)")
        loaded = load_config(config)
        cfg = loaded.config
        bind = http_bind(http, tls_cert, tls_key)
        sim_speed = speed if speed is not None else cfg.cycle.step_minutes * 60.0 / period
        db = log_path or Path(tempfile.mkdtemp(prefix="plantloop-demo-")) / "decisions.sqlite"
        stats, comparison = asyncio.run(
            _run(
                cfg,
                loaded.config_hash,
                cycles=cycles,
                speed=sim_speed,
                period=period,
                db=db,
                bind=bind,
            )
        )
        _summary(stats, comparison, db)


async def _run(
    cfg: PlantConfig,
    config_hash: str,
    *,
    cycles: int,
    speed: float,
    period: float,
    db: Path,
    bind: Bind | None = None,
) -> tuple[RunStats, str]:
    from optimizer.plantio.opcua_client import OpcUaPlantIO
    from optimizer.service.loop import LoopService
    from optimizer.service.status import StatusPrinter
    from optimizer.sim import SimulatedPlant

    async with SimulatedPlant(cfg, port=0, speed=speed) as sim:
        console.print(
            f"[bold]simulated plant[/] {cfg.plant.name} on {sim.endpoint} "
            f"(time x{speed:g}: one cycle = {period * speed / 60:g} simulated minutes)"
        )
        run_cfg = _for_demo(cfg, sim.endpoint, period)
        service = LoopService(
            run_cfg,
            config_hash=config_hash,
            io=OpcUaPlantIO(run_cfg),
            log_path=str(db),
            printer=StatusPrinter(console),
            cycles=cycles,
            plan_clock=_SimClock(sim),
        )
        if bind is None:
            stats = await service.run()
        else:
            from optimizer.console.embed import run_with_console

            stats = await run_with_console(service, db, bind, console.print)
        return stats, sim.cost_comparison().summary()


class _SimClock:
    """The simulated plant's time: TOU prices and forecasts follow the simulated day."""

    def __init__(self, sim: SimulatedPlant) -> None:
        self.sim = sim

    def now(self) -> datetime:
        return self.sim.now()


def _for_demo(cfg: PlantConfig, endpoint: str, period: float) -> PlantConfig:
    """The demo's plant with the simulator's endpoint and a short cycle."""
    limit = min(cfg.cycle.solver_time_limit_s, max(0.5, period * 0.7))
    return cfg.model_copy(
        update={
            "connection": cfg.connection.model_copy(update={"endpoint": endpoint}),
            "cycle": cfg.cycle.model_copy(
                update={"period_s": period, "cron": None, "solver_time_limit_s": limit}
            ),
        }
    )


def _summary(stats: RunStats, comparison: str, db: Path) -> None:
    t = Table(title="demo summary", show_header=False)
    t.add_row("cycles", str(stats.cycles))
    t.add_row("outcomes", ", ".join(f"{n} {o}" for o, n in sorted(stats.outcomes.items())))
    if stats.skipped:
        t.add_row("skipped runs", str(stats.skipped))
    t.add_row("energy cost", comparison)
    t.add_row("decision log", str(db))
    console.print(t)
    print_plain(f"review the decisions: plantloop log {db}")
