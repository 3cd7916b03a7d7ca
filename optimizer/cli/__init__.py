"""The ``plantloop`` command line. One module per command; each exposes ``register(app)``."""

from __future__ import annotations

import typer

from optimizer.cli import certs, check, demo, log, run, schema, sim, solve
from optimizer.cli._common import setup_logging

app = typer.Typer(
    name="plantloop",
    help="Closed-loop energy and process optimization over OPC UA.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (check, schema, solve, sim, certs, run, demo, log):
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    setup_logging()
    app()
