"""An in-memory PlantIO for step-table cycle tests: the test sets readings, the double records
every write exactly as the cycle sent it. A test double at the I/O boundary, nothing patched."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from optimizer.errors import BasisChanged, ConnectError, WriteRefused
from optimizer.plantio.types import (
    ConnectionState,
    Quality,
    Snapshot,
    StateListener,
    TagReading,
    Value,
    WriteOutcome,
    WriteReport,
)


class FakePlantIO:
    def __init__(self, writable: set[str], now: datetime) -> None:
        self.writable = writable
        self.values: dict[str, Value] = {}
        self.quality: dict[str, Quality] = {}
        self.source_ts: dict[str, datetime] = {}
        self.now = now
        self.writes: list[dict[str, float | int | bool]] = []
        self.reject: dict[str, str] = {}  # tag -> status for the next writes
        self.fail_reads = False
        self.fail_writes = False
        self._state = ConnectionState.DISCONNECTED
        self._listeners: list[StateListener] = []
        self.eu: dict[str, tuple[float, float]] = {}
        self.epoch = 0  # connection epoch: bumped by connect() and reconnect()
        self._read_epoch: int | None = None

    def reconnect(self) -> None:
        """The session was lost and re-established (between two calls of the cycle)."""
        self.epoch += 1

    async def connect(self) -> None:
        self.epoch += 1
        self._set(ConnectionState.CONNECTED, "fake")

    async def close(self) -> None:
        self._set(ConnectionState.DISCONNECTED, "closed")

    async def read(self) -> Snapshot:
        if self.fail_reads:
            raise ConnectError("fake plant: connection lost")
        readings = {
            tag: TagReading(
                tag=tag,
                value=v,
                quality=self.quality.get(tag, Quality.GOOD),
                status="Good" if self.quality.get(tag, Quality.GOOD) is Quality.GOOD else "Bad",
                source_ts=self.source_ts.get(tag, self.now),
                server_ts=self.now,
            )
            for tag, v in self.values.items()
        }
        stale = self._read_epoch is not None and self._read_epoch != self.epoch
        self._read_epoch = self.epoch
        return Snapshot(read_at=self.now, readings=readings, stale=stale, epoch=self.epoch)

    async def write(self, values: Mapping[str, float | int | bool], *, epoch: int) -> WriteReport:
        for tag in values:
            if tag not in self.writable:
                raise WriteRefused(f"tag {tag}: not a setpoint or watchdog")
        if epoch != self.epoch:
            raise BasisChanged(f"fake plant: epoch {epoch} -> {self.epoch}")
        if self.fail_writes:
            raise ConnectError("fake plant: write timed out")
        self.writes.append(dict(values))
        outcomes = []
        for tag, v in values.items():
            status = self.reject.get(tag, "Good")
            ok = status == "Good"
            if ok:
                self.values[tag] = v
            outcomes.append(
                WriteOutcome(
                    tag=tag,
                    requested=v,
                    status=status,
                    ok=ok,
                    read_back=self.values.get(tag),
                    read_back_matches=ok,
                )
            )
        return WriteReport(outcomes=tuple(outcomes))

    def add_state_listener(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def eu_ranges(self) -> Mapping[str, tuple[float, float]]:
        return self.eu

    def _set(self, state: ConnectionState, detail: str) -> None:
        self._state = state
        for listener in self._listeners:
            listener(state, detail)
