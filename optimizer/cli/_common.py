"""What every command shares: one-line errors on stderr, exit codes, the console."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from optimizer.errors import ConfigError, PlantloopError

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran but its job failed (e.g. a loop that could not connect)
EXIT_USAGE = 2  # bad input: config, state file, CLI arguments

console = Console()
err_console = Console(stderr=True, highlight=False)


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print a one-line error and return the Exit to raise."""
    err_console.print(f"plantloop: error: {message}", markup=False, soft_wrap=True)
    return typer.Exit(code)


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn plantloop errors into one-line messages and exit codes; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except ConfigError as e:
            for p in e.problems:
                err_console.print(str(p), markup=False, soft_wrap=True)
            raise typer.Exit(EXIT_USAGE) from None
        except PlantloopError as e:
            raise fail(str(e)) from None
        except BrokenPipeError:  # output piped into `head` and closed: not an error
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            err_console.print("plantloop: interrupted", markup=False)
            raise typer.Exit(130) from None
        except Exception as e:  # last line of defence: one line, not a traceback
            if "--debug" in sys.argv:
                raise
            raise fail(f"internal error: {type(e).__name__}: {e}", EXIT_FAILED) from None

    return wrapper
