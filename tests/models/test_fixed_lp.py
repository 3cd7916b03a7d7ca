"""FixedLp: the persistent MILP as an LP with its integer columns fixed, restored after."""

from __future__ import annotations

import json
from pathlib import Path

import highspy
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
