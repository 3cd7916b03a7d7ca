"""What every command shares: one-line errors on stderr, exit codes, the console."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import ParamSpec, TextIO, TypeVar

import typer
from rich.console import Console

from optimizer.errors import ConfigError, PlantloopError

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran but its job failed (e.g. a loop that could not connect)
EXIT_USAGE = 2  # bad input: config, state file, CLI arguments


def _own_stream(std: TextIO) -> TextIO:
    """A second handle on stdout or stderr that the solver's output capture cannot take.

    Pyomo's HiGHS interface redirects file descriptors 1 and 2 for the whole process while
    it loads or solves a model (``capture_fd=True``), and the solve runs in a worker thread
    for seconds: anything the loop printed or logged meanwhile (a lost connection, a stop
    signal, a cycle line) was swallowed. A duplicate descriptor still points at the
    terminal. Without a real descriptor (embedded, captured by a test runner) it is the
    stream itself.
    """
    try:
        fd = os.dup(std.fileno())
    except (AttributeError, OSError, ValueError):
        return std
    return os.fdopen(fd, "w", buffering=1, encoding=std.encoding or "utf-8", errors="replace")


stdout = _own_stream(sys.stdout)
stderr = _own_stream(sys.stderr)
console = Console(file=stdout)
err_console = Console(file=stderr, highlight=False)


def setup_logging(level: int = logging.WARNING) -> None:
    """Log records to our own stderr handle (see :func:`_own_stream`); message only, as
    Python prints them without a configuration."""
    handler = logging.StreamHandler(stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # asyncua warns about its own clean-up ("close_secure_channel was called but connection
    # is closed") after every failed connect; our connection lines already say what happened
    quiet = level >= logging.WARNING
    logging.getLogger("asyncua").setLevel(logging.ERROR if quiet else logging.NOTSET)


def _silence_closed_output() -> None:
    """Output piped into ``head`` and closed: write the rest to /dev/null, no error."""
    null = os.open(os.devnull, os.O_WRONLY)
    for f in (sys.stdout, stdout):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            os.dup2(null, f.fileno())


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
            _silence_closed_output()
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            err_console.print("plantloop: interrupted", markup=False)
            raise typer.Exit(130) from None
        except Exception as e:  # last line of defence: one line, not a traceback
            if "--debug" in sys.argv:
                raise
            raise fail(f"internal error: {type(e).__name__}: {e}", EXIT_FAILED) from None

    return wrapper
