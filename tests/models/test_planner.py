"""The planner: shifted warm start, repair, neighbourhood, full MIP, cold start, status.

A 24-period cut of the utility example (two CHPs, a non-convex boiler, a heat pump, a
battery, PV, carried-over min up/down) and the demo (ranked tiers, compensation,
availability tags). Every plan is checked against a long solve of the same cycle.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

from models.commitment import UnitRules, repair_commitment, unit_rules
from models.inputs import ModelInputs
from models.planner import Candidate, TierRun, tie_for
from models.plant_model import PlantModel
from models.result import PlanResult
from models.solver import RawSolve
from optimizer.config.loader import load_config
from tests.support.plants import utility_cut

ROOT = Path(__file__).resolve().parents[2]
STEPS = 24


def utility() -> tuple[PlantModel, ModelInputs]:
    return utility_cut(STEPS)


def demo() -> tuple[PlantModel, ModelInputs]:
    cfg = load_config(ROOT / "config" / "demo.yaml").config
    return PlantModel(cfg), ModelInputs.from_state_file(ROOT / "config" / "demo-state.json", cfg)


def reference(pm: PlantModel, inputs: ModelInputs) -> PlanResult:
    """The same cycle solved by one long MIP (no planner) on a fresh model."""
    ref = PlantModel(pm.cfg)
    ref.planner = None
    ref.update(inputs)
    return ref.solve(time_limit_s=60, mip_gap=1e-6)


def later(inputs: ModelInputs, minutes: float, plan: PlanResult, **values: float) -> ModelInputs:
    return dataclasses.replace(
        inputs,
        start=inputs.start + timedelta(minutes=minutes),
        values={**inputs.values, **values},
        previous_plan=plan,
    )


def close(a: float | None, b: float | None, rel: float = 2e-3) -> bool:
    assert a is not None and b is not None
    return abs(a - b) <= rel * max(abs(b), 1.0)


def test_cold_start_is_said_and_good() -> None:
    pm, inputs = utility()
    pm.update(inputs)
    r = pm.solve(time_limit_s=10, mip_gap=1e-6)
    assert r.report is not None and r.report.start.startswith("cold: no previous plan")
    assert "LP relaxation" in r.report.start and r.report.candidates["LP relaxation"]
    assert any(w.startswith("cold start") for w in r.why)
    d = r.to_dict()["planner"]
    assert d["start"].startswith("cold") and d["first_plan_s"] is not None
    assert close(r.objective, reference(pm, inputs).objective)


def test_warm_start_shifts_one_step_and_matches_reference() -> None:
    pm, inputs = utility()
    pm.update(inputs)
    first = pm.solve(time_limit_s=10, mip_gap=1e-6)
    row = first.schedule.iloc[0]
    nxt = later(
        inputs,
        15,
        first,
        chp1_running=float(row["chp1.on"]),
        chp1_load=float(row["chp1.load"]),
        chp1_hours=1.0,
    )
    pm.update(nxt)
    r = pm.solve(time_limit_s=10, mip_gap=1e-6)
    assert r.report is not None and r.report.start == "warm: previous plan shifted 1 step"
    assert r.report.first_plan_s is not None and r.report.first_plan_s < r.wall_time_s
    assert r.report.candidate in ("repaired", "neighbourhood", "later window", "full MIP")
    assert close(r.objective, reference(pm, nxt).objective)


def test_shift_moves_every_period_and_idles_storage() -> None:
    pm, inputs = utility()
    pm.update(inputs)
    r = pm.solve(time_limit_s=10)
    assert r.columns is not None and pm.planner is not None
    cols = pm.planner.cols
    x = np.arange(cols.n, dtype=float) + 1.0  # every column its own value
    y = cols.shift(x, 1)
    assert np.array_equal(y[cols.on[:, :-1]], x[cols.on[:, 1:]])
    assert np.array_equal(y[cols.on[:, -1]], x[cols.on[:, -1]])  # the last period repeats
    ch = cols.grid("ch", cols.stores)
    dis = cols.grid("dis", cols.stores)
    assert np.all(y[ch[:, -1]] == 0.0) and np.all(y[dis[:, -1]] == 0.0)
    assert np.array_equal(y[ch[:, :-1]], x[ch[:, 1:]])
    assert np.all(y[cols.zero] == 0.0)  # plan-change helpers


def test_cycle_period_shorter_than_a_step_keeps_alignment() -> None:
    pm, inputs = utility()
    pm.update(inputs)
    first = pm.solve(time_limit_s=10)
    for minutes, note in (
        (5, "warm: previous plan shifted 0 steps"),
        (20, "warm: previous plan shifted 1 step"),
        (45, "warm: previous plan shifted 3 steps"),
        (STEPS * 15, f"cold: previous plan is {STEPS} steps away from this horizon"),
    ):
        nxt = later(inputs, minutes, first)
        pm.update(nxt)
        r = pm.solve(time_limit_s=10 if note.startswith("warm") else 1, mip_gap=1e-6)
        assert r.report is not None and r.report.start.startswith(note), (minutes, r.report.start)
        assert r.has_safe_plan
        if note.startswith("warm"):
            assert close(r.objective, reference(pm, nxt).objective)


def test_a_plan_from_another_model_is_not_used() -> None:
    pm, inputs = utility()
    pm.update(inputs)
    first = pm.solve(time_limit_s=10)
    other, _ = utility()
    other.update(later(inputs, 15, first))
    r = other.solve(time_limit_s=10)
    assert r.report is not None and r.report.start.startswith("cold: previous plan is from another")


def test_unit_that_trips_is_planned_off_for_its_min_down_time() -> None:
    pm, inputs = utility()
    pm.update(inputs)
    first = pm.solve(time_limit_s=10, mip_gap=1e-6)
    assert first.schedule["chp1.on"].iloc[:4].min() == 1.0  # min up carried over: on
    # chp1 tripped: off since 15 minutes; its min down (4 steps) holds it off 3 more
    nxt = later(inputs, 15, first, chp1_running=0.0, chp1_load=0.0, chp1_hours=0.25)
    pm.update(nxt)
    r = pm.solve(time_limit_s=10, mip_gap=1e-6)
    assert r.report is not None and r.report.start.startswith("warm")
    assert list(r.schedule["chp1.on"].iloc[:3]) == [0.0, 0.0, 0.0]
    assert r.report.candidates["repaired"] is not None  # the repair kept the min down
    assert not r.unmet
    assert close(r.objective, reference(pm, nxt).objective)


def test_ranked_tiers_compensation_and_unavailable_unit() -> None:
    pm, inputs = demo()
    pm.update(inputs)
    first = pm.solve(time_limit_s=10, mip_gap=1e-6)
    assert first.schedule["boiler1.on"].iloc[0] == 1.0
    # an hour later boiler1 is no longer available: the shifted plan has it on
    nxt = later(inputs, 60, first, boiler1_avail=0.0, boiler1_running=0.0, boiler1_load=0.0)
    pm.update(nxt)
    r = pm.solve(time_limit_s=10, mip_gap=1e-6)
    assert r.report is not None and r.report.start == "warm: previous plan shifted 1 step"
    assert r.schedule["boiler1.on"].max() == 0.0
    ref = reference(pm, nxt)
    for tier, value in ref.tiers.items():  # lexicographic: every tier as the long solve's
        assert close(r.tiers[tier], value, rel=0.011), (tier, r.tiers, ref.tiers)


def test_plan_with_unmet_demand_never_wins() -> None:
    x = np.zeros(1)
    short = Candidate(name="a", x=x, objective=10.0, unmet=True, at_s=0.0)
    met = Candidate(name="b", x=x, objective=1e9, unmet=False, at_s=0.0)
    assert met.better_than(short) and not short.better_than(met)
    assert Candidate(name="c", x=x, objective=5.0, unmet=False, at_s=0.0).better_than(met)


def test_commitment_repair_postpones_switches() -> None:
    keep = np.zeros(6, dtype=bool)
    rules = [
        # running, min up 3 and 2 periods still to go, min down 2
        UnitRules(
            available=True,
            on0=True,
            must_run=False,
            min_up=3,
            min_down=2,
            must_on=np.array([1, 1, 0, 0, 0, 0], dtype=bool),
            must_off=keep,
        ),
        UnitRules(
            available=False,
            on0=True,
            must_run=False,
            min_up=1,
            min_down=1,
            must_on=keep,
            must_off=keep,
        ),
        UnitRules(
            available=True,
            on0=False,
            must_run=True,
            min_up=1,
            min_down=1,
            must_on=keep,
            must_off=keep,
        ),
    ]
    want = np.array(
        [[0, 0, 0, 1, 0, 0], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]],
        dtype=bool,
    )
    got = repair_commitment(want, rules)
    # unit 0: held on by must_on, off at 2; on again at 3 would break its min down (2):
    # postponed, and at 4 it no longer wants to; unit 1 unavailable: off; unit 2 must run
    assert got.astype(int).tolist() == [
        [1, 1, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
        [1, 1, 1, 1, 1, 1],
    ]
    want[0] = [0, 0, 1, 0, 1, 1]  # off at 3, on at 4 too early (min down 2): on at 5
    got = repair_commitment(want, rules)
    assert got[0].astype(int).tolist() == [1, 1, 1, 0, 0, 1]


def test_bounds_and_integrality_restored_on_the_persistent_instance() -> None:
    pm, inputs = utility()
    assert pm.planner is not None
    runs = pm.planner.runs
    ints = pm.planner.cols.integer
    before = runs.bounds(ints)
    kinds = [runs.hm.getColIntegrality(int(c))[1] for c in ints]
    pm.update(inputs)
    first = pm.solve(time_limit_s=10)
    pm.update(later(inputs, 15, first))
    pm.solve(time_limit_s=10)
    after = runs.bounds(ints)
    assert np.array_equal(before[0], after[0]) and np.array_equal(before[1], after[1])
    assert [runs.hm.getColIntegrality(int(c))[1] for c in ints] == kinds


def test_no_time_gives_no_late_plan() -> None:
    pm, inputs = utility()
    pm.update(inputs)
    r = pm.solve(time_limit_s=1e-9)
    assert r.report is not None
    assert r.report.overran_s < 0.5


def test_cold_start_without_lp_in_time_starts_from_the_units_state() -> None:
    pm, inputs = utility()
    assert pm.planner is not None
    pm.planner.options = dataclasses.replace(pm.planner.options, cold_lp_share=1e-9)
    pm.update(inputs)
    r = pm.solve(time_limit_s=5, mip_gap=1e-6)
    assert r.report is not None and r.report.candidates["repaired"] is not None
    assert any("start from the units' state" in n for n in r.report.notes)
    assert r.has_safe_plan and not r.unmet


def test_repair_covers_a_shortfall_with_units_switched_on() -> None:
    pm, inputs = utility()
    assert pm.planner is not None
    pm.update(inputs)
    first = pm.solve(time_limit_s=10)
    assert first.columns is not None
    heat = list(inputs.forecasts["heat_fc"])
    heat[10:16] = [28.0] * 6  # more than the units on in the plan can give
    pm.update(dataclasses.replace(inputs, forecasts={**inputs.forecasts, "heat_fc": heat}))
    pl = pm.planner
    pl.runs.push_parameters()
    rules = unit_rules(pm.m, pl.units)
    t = time.perf_counter()
    _, cand, free = pl._repair(first.columns.x, 0.5, rules, t + 10, 1e-6, t)
    assert cand is not None and not cand.unmet  # covered without a MIP
    assert free[:, 10:16].all()  # the neighbourhood decides which units start there


def test_short_of_supply_after_the_repair_the_neighbourhood_gets_the_time() -> None:
    pm, inputs = utility()
    assert pm.planner is not None
    pm.update(inputs)
    first = pm.solve(time_limit_s=10)
    heat = list(inputs.forecasts["heat_fc"])
    heat[10] = 80.0  # beyond every unit together: unmet demand is the optimum
    short = dataclasses.replace(
        later(inputs, 0, first), forecasts={**inputs.forecasts, "heat_fc": heat}
    )
    pl = pm.planner
    shares: list[float] = []
    original = pl.nb.search

    def recorded(base, is_plan, free, limit, gap, bar):  # type: ignore[no-untyped-def]
        shares.append(limit / (deadline[0] - time.perf_counter()))
        return original(base, is_plan, free, limit, gap, bar)

    pl.nb.search = recorded  # type: ignore[method-assign]
    pl.root_s = 0.0  # a full MIP follows
    deadline = [time.perf_counter() + 5.0]
    pm.update(short)
    r = pm.solve(time_limit_s=5, mip_gap=1e-6)
    assert r.report is not None and r.unmet and r.has_safe_plan
    assert shares and shares[0] > 0.9  # the whole time left, not the half before a full MIP
    # (that a full MIP still runs when the neighbourhood ends early, and proves unmet demand
    # optimal: golden case grid_no_import_and_export)


def test_a_cheaper_mip_plan_short_of_supply_is_offered_covered() -> None:
    pm, inputs = utility()
    assert pm.planner is not None
    pl = pm.planner
    pm.update(inputs)
    first = pm.solve(time_limit_s=10)
    assert first.columns is not None and not first.unmet
    pl.runs.push_parameters()
    rules = unit_rules(pm.m, pl.units)
    t = time.perf_counter()
    best = Candidate(name="repaired", x=first.columns.x, objective=1e9, unmet=False, at_s=0.0)
    # a MIP's plan that left heat unmet in period 10 (every unit off there) but came out
    # cheaper than the best plan: its commitments elsewhere are worth keeping
    x = first.columns.x.copy()
    x[pl.cols.on[:, 10]] = 0.0
    x[pl.cols.grid("unmet", [str(c) for c in pm.m.C])[:, 10]] = 5.0
    short = Candidate(name="later window", x=x, objective=1e9 - 1.0, unmet=True, at_s=0.0)
    raw = RawSolve(termination="optimal", has_solution=True, objective=None, bound=None, seconds=0)
    out = TierRun(raw=raw, best=best)
    pl._offer_mip(out, short, rules, t + 10, 1e-6, t)
    covered = out.tried.get("later window, covered")
    assert covered is not None and covered < 1e9  # its commitments, units on around t = 10
    assert out.best is not None and out.best.name == "later window, covered"
    assert not out.best.unmet


def test_later_windows_follow_each_other_while_time_is_left() -> None:
    cfg = load_config(ROOT / "config" / "utility.yaml").config  # 96 periods: 5 later windows
    pm = PlantModel(cfg)
    assert pm.planner is not None
    inputs = ModelInputs.from_state_file(ROOT / "config" / "utility-state.json", cfg)
    pm.update(inputs)
    first = pm.solve(time_limit_s=5)
    pm.planner.root_s = 1e9  # no full MIP: the time after the neighbourhood is the windows'
    pm.update(later(inputs, 0, first))
    r = pm.solve(time_limit_s=5)
    assert r.report is not None
    # the same cycle from its own plan: each window is solved quickly, the next one follows
    assert "later window" in r.report.candidates and "later window 2" in r.report.candidates


def test_a_plan_that_only_ties_does_not_replace_the_best() -> None:
    x = np.zeros(3)

    def cand(objective: float, unmet: bool = False) -> Candidate:
        return Candidate(name="c", x=x, objective=objective, unmet=unmet, at_s=0.0)

    best, tie = cand(50_000.0), tie_for(1e-4)  # the default gap: a tie is 1e-7
    assert not cand(50_000.0 - 1e-6).better_than(best, tie)  # the same plan to the last bits
    assert not cand(50_000.0 - 4e-3).better_than(best, tie)  # 0.8e-7 of it
    assert cand(50_000.0 - 6e-3).better_than(best, tie)  # 1.2e-7 of it
    assert cand(60_000.0).better_than(cand(1.0, unmet=True), tie)  # meeting demand first
    assert not cand(1.0, unmet=True).better_than(best, tie)
    assert cand(-1.0).better_than(cand(0.0), tie)  # near zero: by more than 1e-7 absolute
    # solved to a tiny gap, a tie is a hundredth of it; to gap 0, only an exact tie
    assert cand(50_000.0 - 1e-3).better_than(best, tie_for(1e-9))
    assert cand(50_000.0 - 1e-9).better_than(best, tie_for(0.0))
