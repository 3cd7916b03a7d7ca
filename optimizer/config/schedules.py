"""Values that vary over the horizon: a constant, a time-of-day table, or a forecast tag."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from optimizer.config.base import Name, Section

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class TouEntry(Section):
    start: str = Field(description="Local time of day 'HH:MM' from which the value holds.")
    value: float
    """The value from start until the next entry (wraps at midnight)."""

    @field_validator("start")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not _HHMM.match(v):
            raise ValueError(f"start must be 'HH:MM' (got {v!r})")
        return v

    @property
    def minute_of_day(self) -> int:
        h, m = self.start.split(":")
        return int(h) * 60 + int(m)


class Schedule(Section):
    """Exactly one of ``value`` (constant), ``tou`` (time-of-day table) or ``tag`` (forecast)."""

    value: float | None = None
    """A constant over the horizon."""
    tou: list[TouEntry] | None = None
    """A time-of-day table in the plant's time zone: each entry holds from its start."""
    tag: Name | None = Field(
        default=None,
        description="A tag of role forecast (one value per horizon step) or measurement "
        "(held over the horizon).",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Schedule:
        given = [k for k in ("value", "tou", "tag") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of value, tou or tag (got {', '.join(given) or 'none'})"
            )
        if self.tou is not None:
            if not self.tou:
                raise ValueError("tou needs at least one entry")
            starts = [e.minute_of_day for e in self.tou]
            if starts != sorted(starts) or len(set(starts)) != len(starts):
                raise ValueError("tou entries must be in increasing order of start")
        return self

    def at_minute(self, minute_of_day: int) -> float:
        """Value of a constant or TOU schedule at a minute of the day (not for tags)."""
        if self.value is not None:
            return self.value
        assert self.tou is not None, "tag schedules are resolved from the snapshot"
        current = self.tou[-1].value  # wraps around midnight
        for e in self.tou:
            if e.minute_of_day <= minute_of_day:
                current = e.value
        return current
