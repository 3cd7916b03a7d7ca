"""The plant's time from a tag (``cycle.clock_tag``), read in the cycle's own batch.

``TagClock`` wraps the cycle's PlantIO: every read passes through unchanged and the clock
tag's reading is kept, so ``now()`` is the time the plant reported in this cycle's read. A
clock tag without a usable value raises ``InputError``: the cycle's update phase then
fails and the cycle holds, rather than pricing the plan by the wrong day.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime

from optimizer.errors import InputError
from optimizer.plantio.types import (
    ConnectionState,
    PlantIO,
    Quality,
    Snapshot,
    StateListener,
    TagReading,
    WriteReport,
)


class TagClock:
    def __init__(self, io: PlantIO, tag: str) -> None:
        self.io = io
        self.tag = tag
        self._reading: TagReading | None = None

    # --- the clock -------------------------------------------------------------------------
    def now(self) -> datetime:
        r = self._reading
        if r is None or r.quality is Quality.BAD or not isinstance(r.value, int | float):
            why = "not read yet" if r is None else f"status {r.status}, value {r.value!r}"
            raise InputError(f"cycle.clock_tag {self.tag}: no usable plant time ({why})")
        seconds = float(r.value)
        if not math.isfinite(seconds) or isinstance(r.value, bool):
            raise InputError(f"cycle.clock_tag {self.tag}: {r.value!r} is not a time")
        return datetime.fromtimestamp(seconds, UTC)

    # --- PlantIO, passed through -------------------------------------------------------------
    async def read(self) -> Snapshot:
        snapshot = await self.io.read()
        self._reading = snapshot.readings.get(self.tag)
        return snapshot

    async def connect(self) -> None:
        await self.io.connect()

    async def close(self) -> None:
        await self.io.close()

    async def write(self, values: Mapping[str, float | int | bool], *, epoch: int) -> WriteReport:
        return await self.io.write(values, epoch=epoch)

    def add_state_listener(self, listener: StateListener) -> None:
        self.io.add_state_listener(listener)

    @property
    def state(self) -> ConnectionState:
        return self.io.state

    @property
    def eu_ranges(self) -> Mapping[str, tuple[float, float]]:
        return self.io.eu_ranges
