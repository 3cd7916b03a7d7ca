"""PlantModel as a closed loop uses it: build once, update params, solve under a time limit."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyomo.environ as pyo
import pytest

from models.highs_run import Run
from models.inputs import ModelInputs
from models.plant_model import PlantModel
from models.result import SolveStatus
from optimizer.config.loader import load_config
from optimizer.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "config" / "demo.yaml"
DEMO_STATE = ROOT / "config" / "demo-state.json"


@pytest.fixture(scope="module")
def demo() -> tuple[PlantModel, ModelInputs]:
    cfg = load_config(DEMO).config
    return PlantModel(cfg), ModelInputs.from_state_file(DEMO_STATE, cfg)


def _components(m: pyo.ConcreteModel) -> list[tuple[str, int]]:
    return [(c.name, len(c) if c.is_indexed() else 1) for c in m.component_objects()]


def test_update_changes_params_without_rebuild(demo: tuple[PlantModel, ModelInputs]) -> None:
    pm, inputs = demo
    pm.update(inputs)
    first = pm.solve(time_limit_s=10)
    model, comps = pm.m, _components(pm.m)
    solver_model = pm.solver.opt._solver_model
    # more steam demand everywhere: the same model object must answer with a dearer plan
    fc = dict(inputs.forecasts)
    fc["steam_demand_fc"] = [x * 1.2 for x in fc["steam_demand_fc"]]
    pm.update(ModelInputs(start=inputs.start, values=inputs.values, forecasts=fc))
    second = pm.solve(time_limit_s=10)
    assert pm.m is model
    assert _components(pm.m) == comps
    assert pm.solver.opt._solver_model is solver_model  # same HiGHS instance, no new hand-over
    assert first.objective is not None and second.objective is not None
    assert second.terms["cost"] > first.terms["cost"] + 1.0
    assert pyo.value(pm.m.demand["steam", 0]) == pytest.approx(fc["steam_demand_fc"][0])


def test_tiny_time_limit_never_raises(demo: tuple[PlantModel, ModelInputs]) -> None:
    pm, inputs = demo
    pm.update(inputs)
    res = pm.solve(time_limit_s=1e-5)
    assert res.status in (SolveStatus.WARNING, SolveStatus.ERROR)
    assert res.termination != "optimal"
    assert res.has_safe_plan is (res.status is not SolveStatus.ERROR)
    json.dumps(res.to_dict())  # the cycle logs it: must stay JSON-safe on every path


def test_status_mapping(
    demo: tuple[PlantModel, ModelInputs], monkeypatch: pytest.MonkeyPatch
) -> None:
    pm, inputs = demo
    pm.update(inputs)
    ok = pm.solve(time_limit_s=10)
    assert ok.status is SolveStatus.OK and ok.termination == "optimal" and ok.has_safe_plan

    def infeasible(**_: object) -> Run:
        return Run(termination="infeasible", x=None, objective=None, bound=None, highs_seconds=0)

    assert pm.planner is not None  # every HiGHS run of the cycle goes through it
    monkeypatch.setattr(pm.planner.runs, "run", infeasible)
    monkeypatch.setattr(pm.planner.fixed, "solve", lambda *a, **k: infeasible())
    bad = pm.solve(time_limit_s=1)
    assert bad.status is SolveStatus.ERROR and not bad.has_safe_plan
    assert "infeasible" in bad.message


def _state(tmp_path: Path, **change: object) -> Path:
    data = json.loads(DEMO_STATE.read_text())
    for k, v in change.items():
        if v is None:
            del data[k]
        else:
            data[k] = v
    p = tmp_path / "state.json"
    p.write_text(json.dumps(data))  # NaN is written as the JSON token NaN
    return p


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"boiler1_load": None}, "tag boiler1_load: missing"),
        ({"boiler1_load": math.nan}, "tag boiler1_load: expected a finite number"),
        ({"elec_demand_fc": [1.0, 2.0]}, "tag elec_demand_fc: forecast needs 24 values"),
        ({"battery_soc": "high"}, "tag battery_soc: expected a finite number"),
    ],
)
def test_bad_state_names_the_tag(tmp_path: Path, change: dict[str, object], needle: str) -> None:
    cfg = load_config(DEMO).config
    with pytest.raises(InputError, match=needle):
        ModelInputs.from_state_file(_state(tmp_path, **change), cfg)


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "s.json"
    p.write_text('{\n "a": 1,\n}')
    with pytest.raises(InputError, match=r"s\.json:3: not valid JSON"):
        ModelInputs.from_state_file(p, load_config(DEMO).config)


@pytest.mark.parametrize("name", ["demo", "air_cooling"])
def test_fast_term_values_equal_the_expressions(name: str) -> None:
    """The per-cycle term values (LinearForm dot products) equal Pyomo's own evaluation of
    the term expressions, across two cycles with different prices and demands."""
    cfg = load_config(ROOT / "config" / f"{name}.yaml").config
    pm = PlantModel(cfg)
    base = ModelInputs.from_state_file(ROOT / "config" / f"{name}-state.json", cfg)
    for scale in (1.0, 1.3):
        inputs = ModelInputs(
            start=base.start,
            values=base.values,
            forecasts={k: [x * scale for x in v] for k, v in base.forecasts.items()},
        )
        pm.update(inputs)
        r = pm.solve(time_limit_s=10)
        assert r.has_safe_plan
        for term, fast in r.terms.items():
            slow = pyo.value(getattr(pm.m, f"e_{term}"))
            assert fast == pytest.approx(slow, rel=1e-9, abs=1e-7), term
        assert set(r.terms) >= {"cost", "energy", "co2", "penalty", "deviation"}


@pytest.mark.parametrize("name", ["demo", "air_cooling"])
def test_bulk_bounds_and_costs_equal_pyomos_own(name: str) -> None:
    """The row bounds and objective costs handed to HiGHS in one call each equal what
    Pyomo's per-row and per-column helpers would set, after cycles with different demands,
    prices and initial states (air_cooling has ranked tiers: tier switch x price costs)."""
    from pyomo.contrib.solver.solvers.highs import _MutableConstraintBounds

    cfg = load_config(ROOT / "config" / f"{name}.yaml").config
    pm = PlantModel(cfg)
    opt = pm.solver.opt
    base = ModelInputs.from_state_file(ROOT / "config" / f"{name}-state.json", cfg)
    bounds = [
        h for hs in opt._mutable_helpers.values() for h in hs
        if isinstance(h, _MutableConstraintBounds)
    ]  # fmt: skip
    seen = set()
    for scale in (1.0, 1.3, 0.0):
        inputs = ModelInputs(
            start=base.start,
            values={k: v * scale if isinstance(v, float) else v for k, v in base.values.items()},
            forecasts={k: [x * scale for x in v] for k, v in base.forecasts.items()},
        )
        pm.update(inputs)
        opt.update()  # what a solve does first (a solve's tiers move caps and switches after)
        lp = opt._solver_model.getLp()
        got = []
        for h in bounds:
            row = opt._pyomo_con_to_solver_con_map[h.con]
            want = tuple(_highs_inf(pyo.value(e)) for e in (h.lower_expr, h.upper_expr))
            assert (lp.row_lower_[row], lp.row_upper_[row]) == pytest.approx(want), h.con.name
            got.append(lp.row_lower_[row])
        costs = opt._mutable_objective.linear_coefs
        for h in costs:
            col = opt._pyomo_var_to_solver_var_map[h.pyomo_var_id]
            assert lp.col_cost_[col] == pytest.approx(pyo.value(h.expr))
            got.append(lp.col_cost_[col])
        seen.add(tuple(got))
        assert pm.solve(time_limit_s=10).status is not SolveStatus.ERROR
    assert len(seen) == 3  # the bounds and costs did change from cycle to cycle
    # every bound row and cost takes the bulk path in our models
    assert len(pm.solver.row_bounds) == len(bounds) > 20
    assert len(pm.solver.column_costs) == len(costs) > 20


def _highs_inf(x: float) -> float:
    """HiGHS takes a bound of 1e20 or more (its infinite_bound) as infinite."""
    return math.copysign(math.inf, x) if abs(x) >= 1e20 else x


def test_param_forms_of_bound_and_cost_expressions() -> None:
    from models.param_forms import FormValues, param_form

    m = pyo.ConcreteModel()
    m.p = pyo.Param(initialize=2.0, mutable=True)
    m.q = pyo.Param(initialize=5.0, mutable=True)
    exprs = [m.p, -m.p, 1 - m.p, 96 * m.q, 3 * (1 - m.p) - m.q + 4, -(2 * m.p + m.q),
             m.p * 0.25 * m.q, 7.0, m.q * (2 * m.p)]  # fmt: skip
    forms = [param_form(e) for e in exprs]
    assert all(f is not None for f in forms)
    values = FormValues([f for f in forms if f is not None])
    for p, q in ((2.0, 5.0), (-1.5, 0.0), (3.0, 1e6)):
        m.p.set_value(p)
        m.q.set_value(q)
        assert list(values.values()) == pytest.approx([pyo.value(e) for e in exprs])
    for shape in (m.p * m.q * m.p, m.p**2, (1 + m.p) * m.q, m.p / m.q):
        assert param_form(shape) is None, shape


def test_param_tables_write_what_pyomo_reads_and_refuse_nan() -> None:
    from models.param_tables import ParamTables
    from optimizer.errors import ModelError

    m = pyo.ConcreteModel()
    m.T = pyo.Set(initialize=[0, 1])
    m.d = pyo.Param(["steam", "heat"], m.T, mutable=True, initialize=0.0)
    m.a = pyo.Param(["u1"], mutable=True, initialize=1.0)
    pt = ParamTables(m)
    pt.d["heat", 1] = 4.5
    pt.a["u1"] = 0.0
    assert pyo.value(m.d["heat", 1]) == 4.5 and pyo.value(m.a["u1"]) == 0.0
    assert pt.d["heat", 1] == 4.5
    with pytest.raises(ModelError, match=r"d\[\('steam', 0\)\]: value nan is not finite"):
        pt.d["steam", 0] = math.nan
    assert pyo.value(m.d["steam", 0]) == 0.0  # unchanged
    with pytest.raises(KeyError):
        pt.d["steam", 7] = 1.0


def test_a_series_written_at_once_is_what_one_by_one_writes() -> None:
    from models.param_tables import ParamTables, all_finite
    from optimizer.errors import ModelError

    m = pyo.ConcreteModel()
    m.T = pyo.Set(initialize=[0, 1, 2])
    m.d = pyo.Param(["steam", "heat"], m.T, mutable=True, initialize=0.0)
    pt = ParamTables(m)
    pt.d.set_series("heat", [1, -0.0, 2.5])
    assert [m.d["heat", t].value for t in m.T] == [1.0, 0.0, 2.5]
    assert type(m.d["heat", 0].value) is float and math.copysign(1, m.d["heat", 1].value) < 0
    assert [m.d["steam", t].value for t in m.T] == [0.0] * 3  # another key untouched
    pt.d.set_series("heat", [7.0, 8.0])  # a shorter series: its periods only
    assert [m.d["heat", t].value for t in m.T] == [7.0, 8.0, 2.5]
    # a non-finite value: refused with the one-by-one message, the values before it written
    with pytest.raises(ModelError, match=r"d\[\('steam', 1\)\]: value inf is not finite"):
        pt.d.set_series("steam", [3.0, math.inf, 4.0])
    assert [m.d["steam", t].value for t in m.T] == [3.0, 0.0, 0.0]
    assert all_finite([1.0, 2], [0.0]) and not all_finite([1.0], [math.nan])


def test_a_plan_outside_its_setpoint_write_window_is_no_plain_ok() -> None:
    # the window is elastic (a window the plant cannot follow must not make the model
    # infeasible); a plan that leaves it is not the plan written: a warning that says why
    cfg = load_config(DEMO).config
    pm = PlantModel(cfg)
    pm.update(ModelInputs.from_state_file(DEMO_STATE, cfg))
    ok = pm.solve(time_limit_s=10)
    assert ok.status is SolveStatus.OK and "write window" not in ok.message
    pm.m.sp_lo["battery"] = 1.5  # a discharge of 1.5 asked; the battery gives at most 1.0
    r = pm.solve(time_limit_s=10)
    assert r.status is SolveStatus.WARNING and r.has_safe_plan, r.message
    by = float(r.message.split("write window: battery by ")[1])
    assert 0.5 - 1e-6 <= by <= 1.5 + 1e-6  # at least the 0.5 it cannot discharge
    assert any(
        w.startswith("battery: the plant cannot follow this cycle's setpoint") for w in r.why
    )
