"""FixedLp: the persistent MILP as an LP with its integer columns fixed, restored after."""

from __future__ import annotations

import json
from pathlib import Path

import highspy
import numpy as np
import pytest

from models.fixed_lp import FixedLp
from models.inputs import ModelInputs
from models.plant_model import PlantModel
from optimizer.config.loader import load_config

CASE = Path(__file__).parent / "cases" / "merit_order"


@pytest.fixture
def merit(tmp_path: Path) -> PlantModel:
    cfg = load_config(CASE / "config.yaml").config
    pm = PlantModel(cfg)
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"_start": "2026-11-25T00:00:00Z", "heat_fc": [15]}))
    pm.update(ModelInputs.from_state_file(p, cfg))
    return pm


def test_fixed_at_the_plan_gives_its_objective_and_marginal_prices(merit: PlantModel) -> None:
    r = merit.solve(time_limit_s=10)
    assert r.objective == pytest.approx(540)
    lp = FixedLp(merit.solver)
    assert len(lp.int_cols) > 0
    res = lp.solve()
    assert res.optimal and res.objective == pytest.approx(540)
    m = merit.m
    # heat: the next MW comes from b2 at 1.4 MWh gas x 30 EUR; gas: its price
    assert res.row_dual[lp.row(m.c_balance["heat", 0])] == pytest.approx(42)
    assert res.row_dual[lp.row(m.c_balance["gas", 0])] == pytest.approx(30)
    assert res.col_value[lp.column(m.ld["b2", 0])] == pytest.approx(5)


def test_other_values_and_restore(merit: PlantModel) -> None:
    merit.solve(time_limit_s=10)
    m = merit.m
    lp = FixedLp(merit.solver)
    hm = merit.solver.opt._solver_model
    off = {lp.column(m.on["b2", 0]): 0.0, lp.column(m.su["b2", 0]): 0.0}
    before = hm.getCols(len(lp.int_cols), lp.int_cols)
    res = lp.solve(overrides=off)  # b2 forced off: 5 MW unmet at 10,000 EUR/MWh
    assert res.optimal and res.objective == pytest.approx(11 * 30 + 5 * 10_000)
    assert res.row_dual[lp.row(m.c_balance["heat", 0])] == pytest.approx(10_000)
    assert m.ld["b2", 0].value == pytest.approx(5)  # Pyomo keeps the MILP plan ...
    res.load()
    assert m.ld["b2", 0].value == pytest.approx(0)  # ... until the LP solution is loaded
    assert merit.solver.plan_vector()[lp.column(m.ld["b2", 0])] == 0.0  # the readout's too
    assert hm.getOptionValue("solve_relaxation")[1] is False  # the next MILP is a MILP
    after = hm.getCols(len(lp.int_cols), lp.int_cols)
    assert list(before[3]) == list(after[3]) and list(before[4]) == list(after[4])
    assert all(
        hm.getColIntegrality(int(c))[1] == highspy.HighsVarType.kInteger for c in lp.int_cols
    )
    again = merit.solve(time_limit_s=10)  # the MILP is whole again
    assert again.objective == pytest.approx(540)
    assert again.schedule["b2.on"].iloc[0] == 1
    # the LP's numbers are its own copy: a later solve does not change them
    assert res.row_dual[lp.row(m.c_balance["heat", 0])] == pytest.approx(10_000)
    assert res.col_dual is not None and len(res.col_dual) == len(res.col_value)


def test_wrong_number_of_values(merit: PlantModel) -> None:
    merit.solve(time_limit_s=10)
    lp = FixedLp(merit.solver)
    with pytest.raises(ValueError, match="values for"):
        lp.solve([0.0])
    started = lp.solve(overrides={lp.column(merit.m.on["b2", 0]): 0.0})  # su still 1
    assert not started.optimal and started.status == "Infeasible"
    assert merit.solve(time_limit_s=10).objective == pytest.approx(540)


def _lp_with_integrality_changed(pm: PlantModel, lp: FixedLp, fix: np.ndarray) -> tuple:
    """The fixed LP as it was solved before: integer columns made continuous, fixed, run,
    integrality and bounds restored."""
    hm = pm.solver.opt._solver_model
    n = len(lp.int_cols)
    lo, up = hm.getCols(n, lp.int_cols)[3:5]
    kinds = highspy.HighsVarType
    hm.changeColsIntegrality(n, lp.int_cols, np.full(n, kinds.kContinuous, dtype=np.uint8))
    hm.changeColsBounds(n, lp.int_cols, fix, fix)
    hm.run()
    sol = hm.getSolution()
    info = hm.getInfo()
    out = (info.objective_function_value, sol.col_value, sol.row_dual, sol.col_dual)
    out += (info.simplex_iteration_count,)
    hm.changeColsBounds(n, lp.int_cols, lo, up)
    hm.changeColsIntegrality(n, lp.int_cols, np.full(n, kinds.kInteger, dtype=np.uint8))
    return out


def test_the_relaxation_is_the_lp_with_integrality_changed() -> None:
    """HiGHS's LP relaxation of the model with every integer column fixed gives the same
    numbers, bit for bit, as the LP with those columns made continuous (both from no basis,
    so the simplex works: ~200 iterations on the demo plant; the LP is degenerate, another
    start basis may end at another optimum with the same objective)."""
    root = Path(__file__).resolve().parents[2]
    cfg = load_config(root / "config" / "demo.yaml").config
    pm = PlantModel(cfg)
    base = ModelInputs.from_state_file(root / "config" / "demo-state.json", cfg)
    more = {k: [1.4 * x for x in v] for k, v in base.forecasts.items()}
    pm.update(ModelInputs(start=base.start, values=base.values, forecasts=more))
    assert pm.solve(time_limit_s=10).has_safe_plan
    lp = FixedLp(pm.solver)
    other = lp.current_values()  # a commitment that keeps the rules, made for more demand
    pm.update(base)
    assert pm.solve(time_limit_s=10).has_safe_plan
    hm = pm.solver.opt._solver_model
    compared = 0
    for fix in (lp.current_values(), other):
        hm.clearSolver()
        want = _lp_with_integrality_changed(pm, lp, fix)
        hm.clearSolver()
        pm.solver.fixed_lps.clear()
        got = FixedLp(pm.solver).solve(fix)  # no basis kept from the last LP: cold too
        if not got.optimal:
            continue  # a commitment the rules forbid: nothing to compare
        assert got.col_value.tobytes() == np.asarray(want[1], dtype=float).tobytes()
        assert got.row_dual.tobytes() == np.asarray(want[2], dtype=float).tobytes()
        assert got.col_dual.tobytes() == np.asarray(want[3], dtype=float).tobytes()
        assert want[4] > 50, want[4]  # the simplex did work
        assert got.objective == want[0]
        compared += 1
    assert compared == 2


def test_bounds_set_in_chunks_give_the_same_lp(monkeypatch: pytest.MonkeyPatch) -> None:
    """The integer columns' bounds fixed and restored chunk by chunk: the same LP, bit for
    bit, and the same bounds afterwards, as with one call for all columns."""
    import models.highs_bounds as highs_bounds

    root = Path(__file__).resolve().parents[2]
    cfg = load_config(root / "config" / "demo.yaml").config
    pm = PlantModel(cfg)
    pm.update(ModelInputs.from_state_file(root / "config" / "demo-state.json", cfg))
    assert pm.solve(time_limit_s=10).has_safe_plan
    hm = pm.solver.opt._solver_model
    lp = FixedLp(pm.solver)
    n = len(lp.int_cols)
    before = hm.getCols(n, lp.int_cols)[3:5]
    got = []
    for chunk in (10**9, 7):  # one call; then n / 7 calls, the last one shorter
        monkeypatch.setattr(highs_bounds, "CHUNK", chunk)
        assert n > chunk or chunk == 10**9
        hm.clearSolver()
        pm.solver.fixed_lps.clear()
        r = FixedLp(pm.solver).solve(lp.current_values())
        assert r.optimal
        got.append((r.objective, r.col_value.tobytes(), r.row_dual.tobytes()))
        after = hm.getCols(n, lp.int_cols)[3:5]
        assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert got[0] == got[1]
