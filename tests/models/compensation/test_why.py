"""Why texts from slack inspection, on two golden cases (hand-checked there)."""

from __future__ import annotations

from pathlib import Path

from models.inputs import ModelInputs
from models.plant_model import PlantModel
from models.result import PlanResult
from optimizer.config.loader import load_config

CASES = Path(__file__).parent.parent / "cases"


def solve(case: str) -> PlanResult:
    cfg = load_config(CASES / case / "config.yaml").config
    model = PlantModel(cfg)
    model.update(ModelInputs.from_state_file(CASES / case / "state.json", cfg))
    return model.solve(time_limit_s=10)


def test_relaxed_and_binding_limits_are_explained() -> None:
    why = solve("conflicting_ranks_relax_lowest").why
    # b's low limit given up by 3; a held at its high limit 10 by the move of -2
    assert any(w.startswith("b (") and "low limit given up by 3" in w for w in why), why
    assert any(w.startswith("a held at its high limit 10") for w in why), why
    assert not any(w.startswith("b held") for w in why), why


def test_target_missed_because_of_move_limit_is_explained() -> None:
    why = solve("cv_to_target_within_move_limit").why
    # temp 75 -> 77 (3 short of 80), the valve moved +1 = its move limit
    assert any(w.startswith("temp predicted 77") and "3 off target 80" in w for w in why), why
    assert any(w.startswith("valve moved +1 to its limit") for w in why), why
