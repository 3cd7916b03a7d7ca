"""`plantloop demo` — not built yet (placeholder so each command lives in its own module)."""

from __future__ import annotations

import typer

from optimizer.cli._common import err_console


def register(app: typer.Typer) -> None:
    @app.command("demo", help="(not built yet)")
    def _cmd() -> None:
        err_console.print("plantloop demo: demo not built yet (the closed-loop issue builds it)")
        raise typer.Exit(0)
