"""`plantloop run CONFIG` — the loop against the configured OPC UA server."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from optimizer.cli._common import EXIT_FAILED, console, fail, handle_errors
from optimizer.cli._http import HttpOpt, TlsCertOpt, TlsKeyOpt, http_bind
from optimizer.config.loader import load_config
from optimizer.errors import PlantIOError


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def register(app: typer.Typer) -> None:
    @app.command("run")
    @handle_errors
    def run(
        config: Annotated[Path, typer.Argument(help="Plant config (YAML).")],
        cycles: Annotated[
            int | None, typer.Option("--cycles", min=1, help="Stop after N cycles.")
        ] = None,
        advisory: Annotated[
            bool, typer.Option("--advisory", help="Compute and log; write no setpoints.")
        ] = False,
        log_path: Annotated[
            Path | None, typer.Option("--log", help="Decision log (overrides log.path).")
        ] = None,
        http: HttpOpt = None,
        tls_cert: TlsCertOpt = None,
        tls_key: TlsKeyOpt = None,
        log_format: Annotated[
            LogFormat,
            typer.Option(
                "--log-format",
                help="Status output: text for a terminal, json for one JSON object per line "
                "(the journal, a log shipper).",
            ),
        ] = LogFormat.TEXT,
        connect_wait: Annotated[
            float | None,
            typer.Option(
                "--connect-wait",
                min=0,
                help="Seconds to keep retrying an unreachable server at start "
                "(default: until stopped; 0: fail at once).",
            ),
        ] = None,
    ) -> None:
        """Run the closed loop against the configured server until Ctrl-C (or N cycles)."""
        loaded = load_config(config)
        cfg = loaded.config
        bind = http_bind(http, tls_cert, tls_key)
        db = log_path or resolve_log_path(config, cfg.log.path)
        from optimizer.plantio.opcua_client import OpcUaPlantIO
        from optimizer.plantio.types import PlantIO
        from optimizer.service.loop import LoopService
        from optimizer.service.plant_clock import TagClock
        from optimizer.service.status import StatusPrinter

        if log_format is LogFormat.JSON:
            from optimizer.cli._common import stdout
            from optimizer.service.status_json import JsonStatusPrinter, use_json_logs

            use_json_logs()
            printer: StatusPrinter = JsonStatusPrinter(stdout)
        else:
            printer = StatusPrinter(console)
        say = printer.note if log_format is LogFormat.JSON else console.print
        io: PlantIO = OpcUaPlantIO(cfg)
        plan_clock: TagClock | None = None
        if cfg.cycle.clock_tag is not None:  # the plant's time (a simulator's day), not ours
            io = plan_clock = TagClock(io, cfg.cycle.clock_tag)
        service = LoopService(
            cfg,
            config_hash=loaded.config_hash,
            io=io,
            plan_clock=plan_clock,
            log_path=str(db),
            printer=printer,
            cycles=cycles,
            advisory=advisory,
            connect_wait_s=connect_wait,
        )
        try:
            if bind is None:
                stats = asyncio.run(service.run())
            else:
                from optimizer.console.embed import run_with_console

                stats = asyncio.run(run_with_console(service, db, bind, say))
        except PlantIOError as e:
            where = cfg.connection.endpoint
            named = where in str(e) or str(e).startswith("connection.")  # already says where
            raise fail(str(e) if named else f"{where}: {e}", EXIT_FAILED) from None
        say(
            f"stopped after {stats.cycles} cycles: "
            + ", ".join(f"{n} {o}" for o, n in sorted(stats.outcomes.items()))
        )


def resolve_log_path(config_path: Path, log_path: Path) -> Path:
    """A relative log path is relative to the config file's folder (not the shell's)."""
    return log_path if log_path.is_absolute() else config_path.resolve().parent / log_path
