"""Bias feedback: a CV converges to target although the model's gain is wrong and an
unmeasured disturbance shifts the plant (closed loop simulated over several cycles).

Model (cv_to_target_within_move_limit case): temp = meas + 2·Δvalve, target 80, valve moves
≤ 1 %/cycle. The simulated plant's true gain is 1.5 and a step disturbance of −3 degC hits
at cycle 3. Each cycle the measurement replaces the last prediction (full bias update), so the
remaining error is re-planned from the real value: the loop must settle at 80 within 0.01.
"""

from __future__ import annotations

import json
from pathlib import Path

from models.inputs import ModelInputs
from models.plant_model import PlantModel
from optimizer.config.loader import load_config

CASE = Path(__file__).parent.parent / "cases" / "cv_to_target_within_move_limit"


def test_cv_converges_despite_gain_mismatch_and_disturbance(tmp_path: Path) -> None:
    cfg = load_config(CASE / "config.yaml").config
    mv_tag = cfg.compensation["loop"].mvs["valve"].tag
    model = PlantModel(cfg)
    valve0, temp0, true_gain = 10.0, 75.0, 1.5
    valve, temps = valve0, []
    for cycle in range(14):
        dist = -3.0 if cycle >= 3 else 0.0
        temp = temp0 + true_gain * (valve - valve0) + dist  # the "real" plant
        temps.append(temp)
        state = tmp_path / "s.json"
        state.write_text(
            json.dumps({"_start": "2026-11-25T00:00:00Z", "temp": temp, "valve": valve})
        )
        model.update(ModelInputs.from_state_file(state, cfg))
        r = model.solve(time_limit_s=10)
        assert r.has_safe_plan, r.message
        new = r.setpoints[mv_tag]
        assert abs(new - valve) <= 1.0 + 1e-6  # move limit holds every cycle
        valve = new
    assert abs(temps[-1] - 80.0) < 0.01, temps
    assert temps[3] < temps[2]  # the disturbance was really felt before being compensated
