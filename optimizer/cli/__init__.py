"""The ``plantloop`` command line. One module per command; each exposes ``register(app)``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer
from typer._click.exceptions import ClickException, UsageError

from optimizer.cli import certs, check, console, demo, log, run, schema, sim, solve
from optimizer.cli._common import EXIT_USAGE, fail, setup_logging, usage_line

app = typer.Typer(
    name="plantloop",
    help="Closed-loop energy and process optimization over OPC UA.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (check, schema, solve, sim, certs, run, demo, log, console):
    _module.register(app)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    sys.exit(run_main(argv))


def run_main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit code. A usage error (unknown option, bad value, missing
    argument) is one ``plantloop: error: …`` line and exit 2, never typer's framed box."""
    setup_logging()
    try:
        code = app(
            args=list(argv) if argv is not None else None,
            prog_name="plantloop",
            standalone_mode=False,
        )
    except UsageError as e:
        path = e.ctx.command_path if e.ctx is not None else "plantloop"
        message = e.format_message()
        if not message.strip():  # no arguments at all: typer printed the help
            return EXIT_USAGE
        if "Missing command" in message:
            message = "give a command (plantloop --help lists them)"
        return fail(usage_line(path, message), EXIT_USAGE).exit_code
    except ClickException as e:
        return fail(" ".join(e.format_message().split()), e.exit_code).exit_code
    except typer.Abort:
        return 130
    return code if isinstance(code, int) else 0
