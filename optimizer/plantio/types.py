"""The I/O boundary of a cycle: readings with quality and timestamps, writes with read-back.

Pure module: no asyncua import. Implementations: ``optimizer.plantio.opcua_client.OpcUaPlantIO``
(real server), test doubles in ``tests/``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

Value = float | bool | int | tuple[float, ...] | None
"""A tag value as the engine sees it: scalars as float/int/bool, forecasts as a tuple."""


class Quality(StrEnum):
    GOOD = "good"
    UNCERTAIN = "uncertain"
    BAD = "bad"


@dataclass(frozen=True, kw_only=True)
class TagReading:
    tag: str
    value: Value
    quality: Quality
    status: str = "Good"  # symbolic OPC UA status name, e.g. "BadCommunicationError"
    source_ts: datetime | None = None
    server_ts: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """One consistent process image: every configured tag from one batched read."""

    read_at: datetime
    readings: Mapping[str, TagReading]
    stale: bool = False  # True when the connection was lost since the last read
    epoch: int = 0  # connection epoch (session counter) the values were read in


@dataclass(frozen=True, kw_only=True)
class WriteOutcome:
    tag: str
    requested: float | int | bool
    status: str  # symbolic OPC UA status of the write, e.g. "Good", "BadOutOfRange"
    ok: bool
    read_back: Value = None
    read_back_matches: bool = False


@dataclass(frozen=True, kw_only=True)
class WriteReport:
    outcomes: Sequence[WriteOutcome] = field(default_factory=tuple)

    @property
    def all_ok(self) -> bool:
        return all(o.ok and o.read_back_matches for o in self.outcomes)


class ConnectionState(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTED = "connected"
    LOST = "lost"
    RECONNECTING = "reconnecting"


StateListener = Callable[[ConnectionState, str], None]


class PlantIO(Protocol):
    """What the cycle needs from the control system. Every call is bounded by a deadline."""

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def read(self) -> Snapshot:
        """One batched read of every configured tag (value, status, timestamps).

        The snapshot carries the connection epoch (a counter incremented on every (re)connect)
        and is ``stale`` when the connection was lost since the previous read.
        """
        ...

    async def write(self, values: Mapping[str, float | int | bool], *, epoch: int) -> WriteReport:
        """One batched write of setpoint/watchdog tags, then one batched read-back.

        ``epoch`` is the connection epoch of the snapshot the values were computed from.
        Raises ``WriteRefused`` (before sending anything) if a tag is not a configured
        setpoint or watchdog, or a value is NaN/inf; ``BasisChanged`` (a WriteRefused) if
        the connection was re-established since that read (safety rule 13).
        """
        ...

    def add_state_listener(self, listener: StateListener) -> None: ...

    @property
    def state(self) -> ConnectionState: ...

    @property
    def eu_ranges(self) -> Mapping[str, tuple[float, float]]:
        """EURange (low, high) of setpoint nodes that declare one; read once at connect."""
        ...
