"""Golden cases: small plants whose optimum is checked by hand (see each case's README).

Each folder in cases/ holds config.yaml, state.json and expected.json. expected.json may
give: status, has_safe_plan, attempt, objective, terms, tiers, setpoints, mv_moves, unmet,
relaxed, marginal_prices (carrier -> per period), why_contains / why_not_contains (texts),
schedule (column -> values per period), and cycles (the model stepped through several
cycles, each with its own state overrides and an optional ``expect`` of the cycle's
status, objective, MV setpoints and CV prediction; the checks above apply to the last cycle).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from models.inputs import ModelInputs
from models.plant_model import PlantModel
from optimizer.config.loader import load_config

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if p.is_dir())
REL = 1e-4


def close(a: float, b: float) -> bool:
    return abs(a - b) <= REL * max(1.0, abs(b))


def check_map(what: str, got: Any, want: dict[str, float]) -> None:
    for k, v in want.items():
        assert k in got, f"{what}: {k} missing (got {dict(got)})"
        assert close(float(got[k]), float(v)), f"{what}[{k}] = {got[k]}, expected {v}"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden(case: Path) -> None:
    cfg = load_config(case / "config.yaml").config
    exp = json.loads((case / "expected.json").read_text())
    model = PlantModel(cfg)
    base = json.loads((case / "state.json").read_text())
    for step in exp.get("cycles") or [{}]:
        state = {**base, **{k: v for k, v in step.items() if k != "expect"}}
        path = case / ".state.tmp.json"
        path.write_text(json.dumps(state))
        try:
            inputs = ModelInputs.from_state_file(path, cfg)
        finally:
            path.unlink()
        model.update(inputs)
        r = model.solve(time_limit_s=20)
        want_status = step.get("expect", {}).get("status", exp.get("status", "ok"))
        assert r.status.value == want_status, (r.message, r.why)
        assert r.has_safe_plan is exp.get("has_safe_plan", True)
        want_step = step.get("expect", {})
        if "objective" in want_step:  # this cycle's objective
            assert r.objective is not None and close(r.objective, want_step["objective"]), (
                r.objective,
                step,
            )
        mvs = {k: v for k, v in want_step.items() if k not in ("objective", "cv", "status")}
        for mv, want in mvs.items():
            assert close(r.setpoints[cfg.compensation["loop"].mvs[mv].tag], want), r.setpoints
        if "cv" in want_step:
            assert close(next(iter(r.cv_predictions.values())), want_step["cv"])
    if "objective" in exp:
        assert r.objective is not None and close(r.objective, exp["objective"]), r.objective
    if "attempt" in exp:
        assert r.attempt == exp["attempt"]
    check_map("terms", r.terms, exp.get("terms", {}))
    check_map("tiers", {str(k): v for k, v in r.tiers.items()}, exp.get("tiers", {}))
    check_map("setpoints", r.setpoints, exp.get("setpoints", {}))
    check_map("mv_moves", r.mv_moves, exp.get("mv_moves", {}))
    check_map("unmet", r.unmet, exp.get("unmet", {}))
    for col, values in exp.get("schedule", {}).items():
        got = list(r.schedule[col])
        assert all(close(a, b) for a, b in zip(got, values, strict=True)), (col, got)
    for carrier, prices in exp.get("marginal_prices", {}).items():
        got = list(r.marginal_prices[carrier])
        assert all(close(a, b) for a, b in zip(got, prices, strict=True)), (carrier, got)
    for text in exp.get("why_contains", []):
        assert any(text in w for w in r.why), (text, r.why)
    for text in exp.get("why_not_contains", []):
        assert not any(text in w for w in r.why), (text, r.why)
    if "relaxed" in exp:
        got_rel = [rl.to_dict() for rl in r.relaxed]
        assert len(got_rel) == len(exp["relaxed"]), got_rel
        for g, w in zip(got_rel, exp["relaxed"], strict=True):
            assert (g["cv"], g["limit"], g["rank"]) == (w["cv"], w["limit"], w["rank"])
            assert close(g["by"], w["by"])


def test_update_changes_parameters_without_rebuilding(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "merit_order")
    cfg = load_config(case / "config.yaml").config
    model = PlantModel(cfg)
    m = model.m
    count = sum(1 for _ in m.component_data_objects())
    for demand, cost in ((15, 540), (5, 165)):
        p = tmp_path / "s.json"
        p.write_text(json.dumps({"_start": "2026-11-25T00:00:00Z", "heat_fc": [demand]}))
        model.update(ModelInputs.from_state_file(p, cfg))
        r = model.solve(time_limit_s=10)
        assert r.objective is not None and close(r.objective, cost)
    assert model.m is m
    assert sum(1 for _ in m.component_data_objects()) == count
