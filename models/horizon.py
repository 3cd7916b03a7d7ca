"""Horizon values of schedules (constant, time-of-use table, or tag) for one cycle."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.inputs import ModelInputs
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
    zone = ZoneInfo(tz)
    out = []
    for t in starts:
        local = t.astimezone(zone)
        out.append(s.at_minute(local.hour * 60 + local.minute))
    return out
