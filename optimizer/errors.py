"""The plantloop exception tree.

    PlantloopError            base of everything plantloop raises on purpose
    ├── ConfigError           the YAML config is wrong; carries every Problem (file:line: path)
    ├── InputError            a state file, history file or CLI argument is wrong
    ├── PlantIOError          talking to the control system failed
    │   ├── ConnectError      endpoint unreachable, session lost, timed out
    │   ├── SecurityError     policy not offered, certificate rejected/unknown, bad credentials
    │   ├── NodeError         a configured node id is missing on the server (names the tag)
    │   ├── BrokenAnswer      the server answered a request with more or fewer results than
    │   │                     it asked for (against OPC UA Part 4): nothing of it is used
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


class BrokenAnswer(PlantIOError):
    """A server's answer does not fit its request: the results of a Read or Write are
    paired with the request's nodes by position only, so with a result too few or too many
    no result can be trusted to be its node's. A read's values are not used; a write's
    outcome is unknown for every value (never replayed; the next read shows what the DCS
    holds). The session is not counted lost: reconnecting does not mend such a server."""


class WriteRefused(PlantIOError):
    pass


class BasisChanged(WriteRefused):
    """The values were computed from a read in an earlier connection epoch (safety rule 13):
    the plant may have changed while we were away, so the batch is not sent."""


class ModelError(PlantloopError):
    pass
