"""The decision record's plan carries each carrier's marginal prices from the model."""

from __future__ import annotations

from pathlib import Path

from models.inputs import ModelInputs
from models.plant_model import PlantModel
from optimizer.config.loader import load_config
from optimizer.cycle.plan_record import plan_record

CASE = Path(__file__).resolve().parents[1] / "models" / "cases" / "marginal_prices"


def test_plan_record_has_marginal_prices() -> None:
    cfg = load_config(CASE / "config.yaml").config
    inputs = ModelInputs.from_state_file(CASE / "state.json", cfg)
    pm = PlantModel(cfg)
    pm.update(inputs)
    plan = plan_record(cfg, pm.solve(time_limit_s=10), inputs)
    assert plan is not None
    assert plan["carriers"]["heat"]["marginal_price"] == [42.0, 33.0]
    assert plan["carriers"]["gas"]["marginal_price"] == [30.0, 30.0]
