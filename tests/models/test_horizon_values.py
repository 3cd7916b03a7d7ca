"""schedule_values gives what Schedule.at_minute gives at each period's local minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.horizon import schedule_values
from models.inputs import ModelInputs
from optimizer.config.schedules import Schedule

TABLES = [
    [("00:00", 0.1)],
    [("06:00", 0.3), ("22:00", 0.1)],  # before 06:00: the last entry (wraps at midnight)
    [("00:00", 1.0), ("07:30", 2.0), ("07:45", -3.0), ("23:59", 4.0)],
]


@pytest.mark.parametrize("tz", ["Europe/Berlin", "UTC", "America/St_Johns"])
@pytest.mark.parametrize("table", TABLES)
def test_tou_and_constant_values_are_at_minute_at_each_local_period(
    tz: str, table: list[tuple[str, float]]
) -> None:
    start = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # across Berlin's clock change
    starts = [start + timedelta(minutes=15 * k + m) for k in range(4 * 30) for m in (0, 7)]
    inputs = ModelInputs(start=start, values={}, forecasts={})
    zone = ZoneInfo(tz)

    def want(s: Schedule) -> list[float]:
        return [
            s.at_minute(t.astimezone(zone).hour * 60 + t.astimezone(zone).minute) for t in starts
        ]

    tou = Schedule.model_validate({"tou": [{"start": a, "value": v} for a, v in table]})
    assert schedule_values(tou, inputs, starts, tz) == want(tou)
    const = Schedule.model_validate({"value": 0.25})
    assert schedule_values(const, inputs, starts, tz) == want(const) == [0.25] * len(starts)
