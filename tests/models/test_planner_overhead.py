"""What the planner does not do twice, and what it must not get wrong on the way.

- the repaired plan's fixed LP is the marginal-price LP when that plan is kept: its duals
  are used (no second HiGHS run) and give the prices a separate fixed LP gives;
- HiGHS's thread scheduler is one per process: the first run decides its size for every
  instance, so a fixed LP as a process's first run must not leave it at all cores;
- the planner's deadline callbacks are active in its own runs only, not in every run of the
  instance (a fixed LP: ~1,400 Python calls at 20 x 96).
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.highs_bounds import CHUNK, change_col_bounds, change_integrality, change_row_bounds
from models.highs_run import HighsRuns
from models.inputs import ModelInputs
from models.marginal import MarginalPrices
from models.plant_model import PlantModel
from optimizer.config.loader import load_config
from tests.support.plants import utility_cut

ROOT = Path(__file__).resolve().parents[2]
CASE = Path(__file__).parent / "cases" / "marginal_prices"


def marginal_case() -> tuple[PlantModel, ModelInputs]:
    cfg = load_config(CASE / "config.yaml").config
    return PlantModel(cfg), ModelInputs.from_state_file(CASE / "state.json", cfg)


def test_kept_repaired_plan_gives_its_duals_as_marginal_prices() -> None:
    pm, inputs = marginal_case()
    pm.update(inputs)
    first = pm.solve(time_limit_s=10)
    # the same cycle again from its own plan: the repaired plan is the optimum and is kept
    pm.update(dataclasses.replace(inputs, previous_plan=first))
    hm = pm.solver.opt._solver_model
    runs = []
    marginals = pm._marginals
    original = marginals.lp.solve

    def counted(*a: object, **k: object) -> object:
        before = hm.getRunTime()
        res = original(*a, **k)  # type: ignore[arg-type]
        runs.append(hm.getRunTime() - before)
        return res

    marginals.lp.solve = counted  # type: ignore[method-assign]
    r = pm.solve(time_limit_s=10)
    assert r.report is not None and r.report.candidate == "repaired"
    assert runs == [0.0]  # answered from the repair's LP: no HiGHS run
    assert r.marginal_prices == {"heat": (42.0, 33.0), "gas": (30.0, 30.0)}
    # a separate fixed LP on the same plan gives the same prices
    pm.solver.fixed_lps.clear()
    fresh = MarginalPrices(pm)()
    assert not fresh.reused and fresh.highs_seconds > 0
    assert fresh.prices == r.marginal_prices


def test_memo_is_emptied_when_parameters_change() -> None:
    pm, inputs = marginal_case()
    pm.update(inputs)
    pm.solve(time_limit_s=10)
    lp = pm._marginals.lp
    before = lp.solve()
    assert before.reused  # the prices' LP, asked for again on the unchanged model
    heat = [15.0, 4.0]  # less heat in period 1: the same commitments, a cheaper LP
    pm.update(dataclasses.replace(inputs, forecasts={**inputs.forecasts, "heat_fc": heat}))
    pm.solver._update_parameters()
    res = lp.solve()
    assert not res.reused and res.optimal
    assert res.objective is not None and before.objective is not None
    assert res.objective < before.objective - 1.0


_WARM_FIRST = """
import dataclasses, json, pickle, sys
from pathlib import Path
from models.inputs import ModelInputs
from models.plant_model import PlantModel
from optimizer.config.loader import load_config
case = Path(sys.argv[1])
cfg = load_config(case / "config.yaml").config
inputs = ModelInputs.from_state_file(case / "state.json", cfg)
first = pickle.loads(Path(sys.argv[2]).read_bytes())
pm = PlantModel(cfg)
columns = dataclasses.replace(first.columns, model=pm.token)
pm.update(dataclasses.replace(inputs, previous_plan=dataclasses.replace(first, columns=columns)))
print(json.dumps(pm.solve(time_limit_s=10).report.candidates))
"""


def test_a_fixed_lp_as_a_process_first_run_leaves_the_planner_working(tmp_path: Path) -> None:
    # a warm start from a plan made elsewhere: the process's first HiGHS run is the repair
    # LP (a fresh interpreter: in this one the scheduler is sized already)
    pm, inputs = marginal_case()
    pm.update(inputs)
    plan = tmp_path / "plan.pkl"
    plan.write_bytes(pickle.dumps(pm.solve(time_limit_s=10)))
    out = subprocess.run(
        [sys.executable, "-c", _WARM_FIRST, str(CASE), str(plan)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    tried = json.loads(out.stdout.strip().splitlines()[-1])
    # before: every run after the repair LP failed at once ("Not Set"), no plan but that one
    assert tried["repaired"] is not None and tried["full MIP"] is not None, out.stdout


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per deadline-callback call of every HighsRuns built in the test."""
    asked: list[int] = []
    original = HighsRuns._stop_at_deadline

    def counted(self: HighsRuns, event: Any) -> None:
        asked.append(1)
        original(self, event)

    monkeypatch.setattr(HighsRuns, "_stop_at_deadline", counted)
    return asked


def test_deadline_callbacks_only_in_the_planners_own_runs(calls: list[int]) -> None:
    cfg = load_config(ROOT / "config" / "utility.yaml").config
    pm = PlantModel(cfg)  # subscribes the (counted) deadline callbacks
    pm.update(ModelInputs.from_state_file(ROOT / "config" / "utility-state.json", cfg))
    r = pm.solve(time_limit_s=2)
    assert r.has_safe_plan and calls  # the planner's runs ask whether to stop
    calls.clear()
    pm.planner = None  # one MIP through Pyomo, then the prices' fixed LP: not the planner's
    pm.solver.fixed_lps.clear()
    pm.solve(time_limit_s=1)
    assert not calls


def test_fixed_lp_hands_its_basis_over_only_when_highs_has_none() -> None:
    pm, inputs = marginal_case()
    pm.update(inputs)
    pm.solve(time_limit_s=10)
    assert pm.planner is not None
    lp = pm._marginals.lp
    values = lp.current_values()
    pm.solver.fixed_lps.clear()
    assert lp.solve(values).optimal  # this LP's basis is kept
    pm.planner.runs.run(time_limit_s=10, gap=0.0)  # a MIP run: HiGHS drops its basis
    hm = pm.solver.opt._solver_model
    handed: list[int] = []
    set_basis = hm.setBasis

    def counted(*a: Any) -> Any:
        handed.append(1)
        return set_basis(*a)

    hm.setBasis = counted
    pm.solver.fixed_lps.clear()
    assert lp.solve(values).optimal and handed == [1]  # after the MIP: the kept basis
    other = values.copy()
    other[0] = 1.0 - other[0]
    lp.solve(other)
    assert handed == [1]  # after an LP HiGHS's own basis is valid: not handed over again


def test_a_short_mip_run_does_not_shorten_later_limits() -> None:
    cfg = load_config(ROOT / "config" / "utility.yaml").config
    pm = PlantModel(cfg)
    pm.update(ModelInputs.from_state_file(ROOT / "config" / "utility-state.json", cfg))
    assert pm.planner is not None
    runs = pm.planner.runs
    runs.run(time_limit_s=0.06, gap=0.0)  # HiGHS's fixed start-up alone is past 0.06 s
    # a ratio from such a run would shorten every later MIP (the neighbourhood too)
    assert runs.stretch == 1.0


def test_a_run_no_better_than_the_best_plan_reads_no_plan_back() -> None:
    pm, inputs = utility_cut(24)
    pm.update(inputs)
    first = pm.solve(time_limit_s=10)
    assert pm.planner is not None and first.objective is not None
    runs, x = pm.planner.runs, np.asarray(pm.solver.col_values, dtype=float)
    # from the optimum: HiGHS finds nothing cheaper; with that as the bar, no plan is read
    r = runs.run(time_limit_s=10, gap=0.0, start=x, plan_if_below=first.objective - 1e-6)
    assert r.objective == pytest.approx(first.objective, rel=1e-9)
    assert r.x is None
    r = runs.run(time_limit_s=10, gap=0.0, start=x, plan_if_below=first.objective + 1.0)
    assert r.x is not None and len(r.x) == len(x)


def test_consecutive_neighbourhoods_set_exactly_their_own_bounds_and_restore_them() -> None:
    pm, inputs = utility_cut(24)
    pm.update(inputs)
    pm.solve(time_limit_s=10)
    pl = pm.planner
    assert pl is not None
    own = pl.runs.bounds(pl.cols.on.ravel())
    base = np.asarray(pm.solver.col_values, dtype=float)
    on = np.round(base[pl.cols.on])

    def expected(free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = on.copy(), on.copy()
        lo[free], hi[free] = 0.0, 1.0
        return np.maximum(lo.ravel(), own[0]), hi.ravel()

    first = np.zeros(on.shape, dtype=bool)
    first[:, :8] = True
    second = np.zeros(on.shape, dtype=bool)
    second[:, 8:16] = True
    for free in (first, second):  # the second changes only what differs from the first
        pl.nb.search(base, True, free, 10.0, 1e-4, np.inf)
        lo, hi = pl.runs.bounds(pl.cols.on.ravel())
        want_lo, want_hi = expected(free)
        assert np.array_equal(lo, want_lo) and np.array_equal(hi, want_hi)
    # (the two windows' bounds differ: the second run could not pass on the first's)
    assert not np.array_equal(expected(first)[1], expected(second)[1])
    pl.nb.restore()
    lo, hi = pl.runs.bounds(pl.cols.on.ravel())
    assert np.array_equal(lo, own[0]) and np.array_equal(hi, own[1])


def test_a_planner_run_itself_leaves_the_on_off_bounds_as_it_found_them() -> None:
    # checked on the planner's own run: the marginal-price LP after it restores every
    # integer column's bounds too and would hide a neighbourhood's bounds left behind
    pm, inputs = utility_cut(24)
    pm.update(inputs)
    first = pm.solve(time_limit_s=10)
    pl = pm.planner
    assert pl is not None
    own = pl.runs.bounds(pl.cols.on.ravel())
    pm.update(dataclasses.replace(inputs, previous_plan=first))
    pl.root_s = 1e9  # no full MIP: the run ends with its neighbourhoods
    t = time.perf_counter()
    tr = pl.run(start=pm._start_x, t_begin=t, deadline=t + 10, gap=1e-4)
    assert "neighbourhood" in tr.tried
    lo, hi = pl.runs.bounds(pl.cols.on.ravel())
    assert np.array_equal(lo, own[0]) and np.array_equal(hi, own[1])


def test_an_lp_run_asks_no_deadline_callback(calls: list[int]) -> None:
    pm, inputs = utility_cut(24)  # subscribes the (counted) deadline callbacks
    pm.update(inputs)
    assert pm.planner is not None
    pm.planner.runs.push_parameters()
    lp = pm.planner._lp_relaxation(10.0, 1e-4)  # the cold start's LP: hundreds of iterations
    assert lp.termination == "optimal" and not calls
    pm.planner.runs.run(time_limit_s=10, gap=1e-4)  # a MIP asks
    assert calls


def test_bounds_and_integrality_changed_in_chunks_are_what_one_call_sets() -> None:
    pm, inputs = utility_cut(96)  # more integer columns and rows than one chunk
    pm.update(inputs)
    assert pm.planner is not None
    hm, cols = pm.planner.runs.hm, pm.planner.cols.integer.astype(np.int32)
    rows = np.arange(hm.getNumRow(), dtype=np.int32)
    assert len(cols) > CHUNK + 1 and len(rows) > 2 * CHUNK + 1
    lower = np.arange(len(cols), dtype=np.float64)  # a different value in every column
    upper = lower + 0.5
    change_col_bounds(hm, cols, lower, upper)
    _, _, _, lo, hi, _ = hm.getCols(len(cols), cols)
    assert np.array_equal(np.asarray(lo), lower) and np.array_equal(np.asarray(hi), upper)
    row_lo = -np.arange(len(rows), dtype=np.float64)
    change_row_bounds(hm, rows, row_lo, -row_lo)
    _, _, lo, hi, _ = hm.getRows(len(rows), rows)
    assert np.array_equal(np.asarray(lo), row_lo) and np.array_equal(np.asarray(hi), -row_lo)
    kinds = np.zeros(len(cols), dtype=np.uint8)  # continuous
    kinds[-1] = 1  # the last chunk's last column stays integer
    change_integrality(hm, cols, kinds)
    got = [hm.getColIntegrality(int(c))[1] for c in cols[[0, CHUNK, -2, -1]]]
    assert [int(k) for k in got] == [0, 0, 0, 1]
