"""`plantloop console DB` — the operator console, read-only, over a decision log alone."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from optimizer.cli._common import console, handle_errors
from optimizer.cli._http import TlsCertOpt, TlsKeyOpt, http_bind

if TYPE_CHECKING:
    from optimizer.console.access import Bind


def register(app: typer.Typer) -> None:
    @app.command("console")
    @handle_errors
    def console_cmd(
        db: Annotated[Path, typer.Argument(help="Decision log (SQLite file).")],
        http: Annotated[
            str,
            typer.Option(
                "--http",
                metavar="HOST:PORT",
                help="Where to serve (loopback; any other address needs "
                "PLANTLOOP_CONSOLE_TOKEN and --tls-cert/--tls-key).",
            ),
        ] = "127.0.0.1:8080",
        tls_cert: TlsCertOpt = None,
        tls_key: TlsKeyOpt = None,
    ) -> None:
        """Serve the console over a decision log (no plant connection) until Ctrl-C."""
        from optimizer.decisions.query import last_id

        last_id(db)  # one clear line if it is missing or not a decision log
        bind = http_bind(http, tls_cert, tls_key)
        assert bind is not None
        asyncio.run(_serve(db, bind))


async def _serve(db: Path, bind: Bind) -> None:
    from optimizer.console.server import ConsoleServer

    server = ConsoleServer(db, bind)
    await server.start()
    url = bind.url.replace(f":{bind.port}/", f":{server.port}/")
    console.print(f"console at {url} (read-only, over {db}); Ctrl-C to stop")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
