"""The plantloop exception tree.

    PlantloopError            base of everything plantloop raises on purpose
    ├── ConfigError           the YAML config is wrong; carries every Problem (file:line: path)
    ├── InputError            a state file, history file or CLI argument is wrong
    ├── PlantIOError          talking to the control system failed
    │   ├── ConnectError      endpoint unreachable, session lost, timed out
    │   ├── SecurityError     policy not offered, certificate rejected/unknown, bad credentials
    │   ├── NodeError         a configured node id is missing on the server (names the tag)
    │   └── WriteRefused      a write the writer will not send (non-setpoint tag, bad value)
    │       └── BasisChanged  the connection was re-established since the values' read
    └── ModelError            the model cannot be built or solved (not: infeasible — that is a
                              result status, never an exception)

Messages are one line, name the place (file:line, field path, tag) and say how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass


class PlantloopError(Exception):
    """Base of all deliberate plantloop errors; ``str(err)`` is a one-line message."""


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One thing wrong in a config file, located as precisely as we can."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(PlantloopError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class InputError(PlantloopError):
    pass


class PlantIOError(PlantloopError):
    pass


class ConnectError(PlantIOError):
    pass


class SecurityError(PlantIOError):
    pass


class NodeError(PlantIOError):
    pass


class WriteRefused(PlantIOError):
    pass


class BasisChanged(WriteRefused):
    """The values were computed from a read in an earlier connection epoch (safety rule 13):
    the plant may have changed while we were away, so the batch is not sent."""


class ModelError(PlantloopError):
    pass
