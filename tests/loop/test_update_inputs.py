"""Phase 3 — update: validated readings become the model's inputs exactly (pure; the demo
plant's config). A tag the model needs without a usable value stops the cycle by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.inputs import required_tags
from optimizer.config.loader import load_config
from optimizer.cycle.clock import FakeClock
from optimizer.cycle.update import build_inputs, period_start
from optimizer.errors import InputError
from optimizer.validation import ValidatedInputs

REPO = Path(__file__).resolve().parents[2]
CFG = load_config(REPO / "config" / "demo.yaml").config
NOW = datetime(2026, 11, 25, 10, 37, 12, 500, tzinfo=UTC)
FORECASTS = {t for t in required_tags(CFG) if CFG.tags[t].role.value == "forecast"}


def _values(**over: Any) -> dict[str, Any]:
    n = CFG.cycle.horizon_steps
    v: dict[str, Any] = {t: 1 for t in required_tags(CFG) - FORECASTS}  # ints, as a DCS sends
    v.update({t: tuple(float(i) for i in range(n)) for t in FORECASTS})
    v.update(over)
    return v


def _at(h: int, m: int) -> datetime:
    return datetime(2026, 11, 25, h, m, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "step", "start"),
    [
        (NOW, 60.0, _at(10, 0)),
        (NOW, 15.0, _at(10, 30)),
        (_at(10, 30), 15.0, _at(10, 30)),  # on the step: itself
        (_at(0, 7), 5.0, _at(0, 5)),
        (NOW, 90.0, _at(10, 30)),  # steps count from midnight, not from the hour
    ],
)
def test_the_horizon_starts_at_now_floored_to_the_step(
    now: datetime, step: float, start: datetime
) -> None:
    assert period_start(now, step) == start


def test_readings_become_scalars_and_forecasts() -> None:
    values = _values(boiler1_sp=7, chp_sp=True)  # an optional setpoint; a bool is no value
    v = ValidatedInputs(values=values, readings={})
    inputs = build_inputs(CFG, v, NOW, None)
    assert inputs.start == _at(10, 0)
    assert dict(inputs.forecasts) == {t: values[t] for t in FORECASTS}
    want = {t: 1.0 for t in required_tags(CFG) - FORECASTS} | {"boiler1_sp": 7.0}
    assert dict(inputs.values) == want
    assert all(type(x) is float for x in inputs.values.values())
    assert inputs.previous_plan is None


def test_the_previous_plan_is_handed_on() -> None:
    previous: Any = object()  # the model's warm start and first-period moves use it
    v = ValidatedInputs(values=_values(), readings={})
    assert build_inputs(CFG, v, NOW, previous).previous_plan is previous


def test_a_needed_tag_without_a_usable_value_is_named() -> None:
    values = _values()
    del values["ambient_temp"], values["chp_load"]
    with pytest.raises(InputError) as e:
        build_inputs(CFG, ValidatedInputs(values=values, readings={}), NOW, None)
    assert str(e.value) == (
        "no usable value for ambient_temp, chp_load (see input issues); the model needs it"
    )


def test_the_fake_clock_moves_forward_and_wants_a_time_zone() -> None:
    clock = FakeClock(NOW)
    clock.advance(5.5)
    assert clock.now() == NOW + timedelta(seconds=5.5)
    with pytest.raises(ValueError, match="timezone-aware"):
        FakeClock(datetime(2026, 11, 25))
