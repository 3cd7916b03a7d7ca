"""`plantloop log` — not built yet (placeholder so each command lives in its own module)."""

from __future__ import annotations

import typer

from optimizer.cli._common import EXIT_USAGE, err_console


def register(app: typer.Typer) -> None:
    @app.command("log", help="(not built yet)")
    def _cmd() -> None:
        err_console.print("plantloop log: not built yet")
        raise typer.Exit(EXIT_USAGE)
