"""What every command shares: one-line errors on stderr, exit codes, the console."""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import os
import sys
from collections.abc import Callable
from typing import Annotated, ParamSpec, TextIO, TypeVar

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
# emoji off: ":AB:" inside a certificate fingerprint must not become a picture
console = Console(file=stdout, emoji=False)
err_console = Console(file=stderr, highlight=False, emoji=False)

# Loggers whose lines an operator sees without --debug; library loggers (asyncua,
# apscheduler, pyomo) only with --debug: what they report, our own lines already say.
OWN_LOGGERS = ("optimizer", "models", "plantloop")
DEBUG_HELP = "Tracebacks for internal errors and the libraries' log lines (asyncua, ...)."


class _OwnLinesOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.name == "root" or record.name.split(".", 1)[0] in OWN_LOGGERS


def setup_logging(level: int = logging.WARNING, *, debug: bool = False) -> None:
    """Log records to our own stderr handle (see :func:`_own_stream`); message only, as
    Python prints them without a configuration. Without ``debug`` only plantloop's own
    loggers reach the console."""
    handler = logging.StreamHandler(stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s" if debug else "%(message)s"))
    if not debug:
        handler.addFilter(_OwnLinesOnly())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if debug else level)
    logging.getLogger("asyncua").setLevel(logging.NOTSET if debug else logging.ERROR)


def print_plain(text: str, *, err: bool = False) -> None:
    """A line with paths, fingerprints or identifiers: no markup, no emoji, never wrapped."""
    (err_console if err else console).print(
        text, markup=False, emoji=False, highlight=False, soft_wrap=True
    )


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
    """Turn plantloop errors into one-line messages and exit codes; never a traceback.

    Every command gets ``--debug`` this way (a command may declare its own ``debug``
    parameter to use the flag itself): it turns on library log lines and lets an internal
    error's traceback through.
    """
    signature = inspect.signature(fn, eval_str=True)
    own_debug = "debug" in signature.parameters

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        debug = bool(kwargs.get("debug") if own_debug else kwargs.pop("debug", False))
        if debug:
            setup_logging(debug=True)
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
            if debug:
                raise
            raise fail(f"internal error: {type(e).__name__}: {e}", EXIT_FAILED) from None

    if not own_debug:
        flag = inspect.Parameter(
            "debug",
            inspect.Parameter.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)],
        )
        params = [*signature.parameters.values(), flag]
        wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {**fn.__annotations__, "debug": flag.annotation}
    return wrapper


def usage_line(command_path: str, message: str) -> str:
    """A click/typer usage error as our one line: which command, what was wrong."""
    where = command_path.removeprefix("plantloop").strip()
    text = " ".join(message.split())
    return f"{where}: {text}" if where else text
