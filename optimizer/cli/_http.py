"""The ``--http`` options shared by ``run``, ``demo`` and ``console``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from optimizer.console.access import Bind

HttpOpt = Annotated[
    str | None,
    typer.Option(
        "--http",
        metavar="HOST:PORT",
        help="Serve the operator console here (loopback; any other address needs "
        "PLANTLOOP_CONSOLE_TOKEN and --tls-cert/--tls-key).",
    ),
]
TlsCertOpt = Annotated[
    Path | None, typer.Option("--tls-cert", help="PEM certificate for the console (HTTPS).")
]
TlsKeyOpt = Annotated[
    Path | None, typer.Option("--tls-key", help="PEM private key for --tls-cert.")
]


def http_bind(addr: str | None, cert: Path | None, key: Path | None) -> Bind | None:
    """Checked before anything starts: a bad address or a missing token is one line."""
    if addr is None:
        if cert is not None or key is not None:
            from optimizer.errors import InputError

            raise InputError("--tls-cert/--tls-key need --http HOST:PORT")
        return None
    from optimizer.console.access import parse_bind

    return parse_bind(addr, tls_cert=cert, tls_key=key)
