"""The unit fields of issue 10 (outages, curve co-products) refuse bad input in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.config.loader import load_config_text
from optimizer.errors import ConfigError

CASES = Path(__file__).resolve().parents[1] / "models" / "cases"


@pytest.mark.parametrize(
    ("case", "old", "new", "expect"),
    [
        (
            "maintenance_window",
            'end: "2026-11-25T09:00:00"',
            'end: "2026-11-25T09:00:00Z"',
            "units.b1.outages[0]: give start and end both with or both without a UTC offset",
        ),
        (
            "maintenance_window",
            'end: "2026-11-25T09:00:00"',
            'end: "2026-11-25T05:00:00"',
            "units.b1.outages[0].end: end must be after start",
        ),
        (
            "chp_heat_curve",
            "- {load: 4, input: 11.0, coproducts: {heat: 5.0}}",
            "- {load: 4, input: 11.0}",
            "curve points must all give the same coproducts carriers",
        ),
        (
            "chp_heat_curve",
            "coproducts: {heat: 3.5}",
            "coproducts: {steam: 3.5}",
            "curve points must all give the same coproducts carriers",
        ),
    ],
)
def test_bad_unit_fields(case: str, old: str, new: str, expect: str) -> None:
    text = (CASES / case / "config.yaml").read_text()
    assert old in text
    with pytest.raises(ConfigError) as e:
        load_config_text(text.replace(old, new), "plant.yaml")
    assert expect in str(e.value), str(e.value)
    assert "Traceback" not in str(e.value)
