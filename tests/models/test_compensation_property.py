"""Property: whatever the gains, bounds and measurements, every MV the model returns lies
within its hard limits and within its move limits from the current value."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from models.inputs import ModelInputs
from models.plan_readout import plan_decisions
from models.plant_model import PlantModel
from optimizer.config.schema import PlantConfig

TOL = 1e-6


@st.composite
def plants(draw: st.DrawFn) -> tuple[PlantConfig, dict[str, float]]:
    n_mv = draw(st.integers(1, 2))
    tags: dict[str, Any] = {
        "cv1": {"node": "s=cv1", "role": "measurement"},
        "cv2": {"node": "s=cv2", "role": "measurement"},
    }
    mvs: dict[str, Any] = {}
    values: dict[str, float] = {}
    for i in range(n_mv):
        lo = draw(st.floats(-100, 100))
        hi = lo + draw(st.floats(0, 50))
        tags[f"mv{i}"] = {
            "node": f"s=mv{i}",
            "role": "setpoint",
            "setpoint": {
                "min": lo,
                "max": hi,
                "max_up": draw(st.floats(0.01, 20)),
                "max_down": draw(st.floats(0.01, 20)),
            },
        }
        mvs[f"mv{i}"] = {
            "tag": f"mv{i}",
            "move_cost": draw(st.floats(0, 5)),
            "step": draw(st.sampled_from([None, None, 0.5, 2.0])),
        }
        values[f"mv{i}"] = draw(st.floats(lo, hi))
    gain = st.floats(-5, 5).filter(lambda g: abs(g) > 1e-3)
    gains = {"c1": {m: draw(gain) for m in mvs}, "c2": {m: draw(gain) for m in mvs}}
    a = draw(st.floats(-50, 50))
    cvs = {
        "c1": {"tag": "cv1", "low": a, "high": a + draw(st.floats(0, 10)), "priority": 1},
        "c2": {"tag": "cv2", "target": draw(st.floats(-50, 50)), "priority": 2},
    }
    values["cv1"] = draw(st.floats(-100, 100))
    values["cv2"] = draw(st.floats(-100, 100))
    return _plant(tags, {"cvs": cvs, "mvs": mvs, "gains": gains}), values


def _plant(tags: dict[str, Any], block: dict[str, Any]) -> PlantConfig:
    """A one-period plant with no units and one compensation block."""
    return PlantConfig.model_validate(
        {
            "plant": {"name": "p"},
            "connection": {
                "endpoint": "opc.tcp://127.0.0.1:1",
                "namespace_uri": "urn:p",
                "security": {"policy": "None", "mode": "None"},
            },
            "cycle": {"period_s": 60, "solver_time_limit_s": 10, "horizon_steps": 1},
            "tags": tags,
            "carriers": {"heat": {"unit": "MW"}},
            "units": {},
            "compensation": {"b": block},
            "objectives": {"terms": [{"term": "deviation"}]},
            "interlocks": {},
        }
    )


@settings(max_examples=60, deadline=None)
@given(plants())
def test_mvs_within_hard_bounds_and_move_limits(case: tuple[PlantConfig, dict[str, float]]) -> None:
    cfg, values = case
    model = PlantModel(cfg)
    model.update(ModelInputs(start=datetime(2026, 1, 1, tzinfo=UTC), values=values, forecasts={}))
    r = model.solve(time_limit_s=10)
    assert r.has_safe_plan, r.message
    for name, mv in cfg.compensation["b"].mvs.items():
        sp = cfg.tags[mv.tag].setpoint
        assert sp is not None and sp.max_up is not None and sp.max_down is not None
        v, now = r.setpoints[mv.tag], values[name]
        assert sp.min - TOL <= v <= sp.max + TOL
        assert now - sp.max_down - TOL <= v <= now + sp.max_up + TOL
        if mv.step:
            k = (v - now) / mv.step
            assert abs(k - round(k)) < 1e-6


def test_a_stepped_mv_moves_in_whole_steps_whatever_the_integrality_tolerance() -> None:
    """HiGHS accepts an integer within ~1e-6 (a step count of -1.0000000001e-6 was seen): the
    setpoint read from the plan is the current value plus whole steps, never a sliver."""
    tags: dict[str, Any] = {
        "cv1": {"node": "s=cv1", "role": "measurement"},
        "mv0": {
            "node": "s=mv0",
            "role": "setpoint",
            "setpoint": {"min": 0, "max": 100, "max_up": 10, "max_down": 10},
        },
    }
    cfg = _plant(
        tags,
        {
            "cvs": {"c1": {"tag": "cv1", "target": 10.0, "priority": 1}},
            "mvs": {"mv0": {"tag": "mv0", "move_cost": 0, "step": 2.0}},
            "gains": {"c1": {"mv0": 1.0}},
        },
    )
    model = PlantModel(cfg)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    model.update(ModelInputs(start=start, values={"mv0": 50.0, "cv1": 4.0}, forecasts={}))
    r = model.solve(time_limit_s=10)
    assert r.setpoints["mv0"] == 56.0  # CV 4 -> target 10 with gain 1: three steps of 2
    m = model.m
    # what a solver may hand back for "three steps": 3 - 1e-6 steps
    m.nstep["mv0"].set_value(3 - 1.0000000001e-6, skip_validation=True)
    m.u["mv0"].set_value(50.0 + 2.0 * (3 - 1.0000000001e-6), skip_validation=True)
    setpoints, _, moves = plan_decisions(m, cfg, model.comp)
    assert setpoints["mv0"] == 56.0
    assert moves["mv0"] == 6.0
