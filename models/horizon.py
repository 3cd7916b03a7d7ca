"""Horizon values of schedules (constant, time-of-use table, or tag) for one cycle."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.inputs import ModelInputs
from optimizer.config.plant import Outage
from optimizer.config.schedules import Schedule


def period_starts(start: datetime, steps: int, step_minutes: float) -> list[datetime]:
    return [start + timedelta(minutes=step_minutes * k) for k in range(steps)]


def schedule_values(
    s: Schedule, inputs: ModelInputs, starts: list[datetime], tz: str
) -> list[float]:
    """One value per period. A forecast tag gives its array; a measurement is held."""
    if s.tag is not None:
        if s.tag in inputs.forecasts:
            return [float(x) for x in inputs.forecasts[s.tag]][: len(starts)]
        return [float(inputs.values[s.tag])] * len(starts)
    if s.value is not None:  # what at_minute gives at every minute
        return [s.value] * len(starts)
    assert s.tou is not None, "a schedule is a value, a TOU table or a tag"
    # Schedule.at_minute's rule (the last entry starting at or before the minute, else the
    # last entry: it wraps around midnight) with the entries' minutes read once, not once
    # per period and entry
    table = [(e.minute_of_day, e.value) for e in s.tou]
    wrap = s.tou[-1].value
    zone = ZoneInfo(tz)
    out = []
    for t in starts:
        local = t.astimezone(zone)
        minute = local.hour * 60 + local.minute
        current = wrap
        for start, value in table:
            if start <= minute:
                current = value
        out.append(current)
    return out


def outage_free(
    outages: list[Outage], starts: list[datetime], step_minutes: float, tz: str
) -> list[float]:
    """1.0 per period that no outage overlaps, 0.0 where one does (naive times are local)."""
    zone = ZoneInfo(tz)
    step = timedelta(minutes=step_minutes)
    windows = [
        (
            o.start if o.start.tzinfo else o.start.replace(tzinfo=zone),
            o.end if o.end.tzinfo else o.end.replace(tzinfo=zone),
        )
        for o in outages
    ]
    return [
        0.0 if any(s < end and s + step > start for start, end in windows) else 1.0 for s in starts
    ]
