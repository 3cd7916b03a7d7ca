"""The cycle's readout from the plan's column vector equals the readout from the Pyomo
variables, to the bit (signs of zero included): schedule, objective terms, plan-change
references. Plants with non-convex curves, storage, compensation (MV steps) and ranked
tiers, over cycles that hand the previous plan on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest

from models.inputs import ModelInputs
from models.linear_forms import LinearForm
from models.plan_readout import _sorted_instants, planned_loads, schedule_frame, schedule_layout
from models.plant_model import PlantModel
from optimizer.config.loader import load_config

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"
PLANTS = [
    (CASES / "nonconvex_curve" / "config.yaml", CASES / "nonconvex_curve" / "state.json"),
    (CASES / "battery_arbitrage" / "config.yaml", CASES / "battery_arbitrage" / "state.json"),
    (CASES / "discrete_mv_steps" / "config.yaml", CASES / "discrete_mv_steps" / "state.json"),
    (CASES / "co2_tier_above_cost" / "config.yaml", CASES / "co2_tier_above_cost" / "state.json"),
    (CASES / "unmet_demand" / "config.yaml", CASES / "unmet_demand" / "state.json"),
    (ROOT / "config" / "air_cooling.yaml", ROOT / "config" / "air_cooling-state.json"),
    (ROOT / "config" / "demo.yaml", ROOT / "config" / "demo-state.json"),
]


def _schedule_from_variables(m: pyo.ConcreteModel, starts: list[Any]) -> pd.DataFrame:
    """The schedule as it was read before: variable by variable (``v.value or 0.0``)."""

    def vals(var: Any, key: object) -> list[float]:
        return [float(var[key, t].value or 0.0) for t in m.T]

    cols: dict[str, list[float]] = {}
    for u in m.U:
        cols[f"{u}.on"] = [float(round(x)) for x in vals(m.on, u)]
        cols[f"{u}.load"] = vals(m.ld, u)
        cols[f"{u}.input"] = vals(m.inp, u)
    for s in m.S:
        cols[f"{s}.net_discharge"] = [
            a - b for a, b in zip(vals(m.dis, s), vals(m.ch, s), strict=True)
        ]
        cols[f"{s}.soc"] = vals(m.soc, s)
    for g in m.G:
        cols[f"{g}.import"] = vals(m.imp, g)
        cols[f"{g}.export"] = vals(m.exp, g)
    for r in m.R:
        cols[f"{r}.output"] = vals(m.gen, r)
    for c in m.C:
        cols[f"{c}.unmet"] = vals(m.unmet, c)
    return pd.DataFrame(cols, index=pd.DatetimeIndex(starts, name="period"))


def _bits(frame: pd.DataFrame) -> bytes:
    return np.ascontiguousarray(frame.to_numpy(dtype=np.float64)).tobytes()


@pytest.mark.parametrize(("config", "state"), PLANTS, ids=lambda p: p.parent.name)
def test_readout_from_the_plan_vector_equals_the_variables(config: Path, state: Path) -> None:
    cfg = load_config(config).config
    pm = PlantModel(cfg)
    base = ModelInputs.from_state_file(state, cfg)
    prev = None
    for scale in (1.0, 1.1):
        fc = {k: [x * scale for x in v] for k, v in base.forecasts.items()}
        pm.update(
            ModelInputs(start=base.start, values=base.values, forecasts=fc, previous_plan=prev)
        )
        r = pm.solve(time_limit_s=20)
        assert r.has_safe_plan
        x = pm.solver.plan_vector()
        # every variable holds the plan vector's value (the vector stands for them)
        for var, col in pm.solver.columns:
            assert var.value == x[col], var.name
            assert not var.stale, var.name  # loaded: fresh, as after Pyomo's own load
        assert not np.signbit(x[x == 0.0]).any()  # -0.0 read as 0.0, as `v.value or 0.0`
        assert _sorted_instants(r.schedule.index) is not None  # the next cycle's fast path
        ref = _schedule_from_variables(pm.m, pm.starts)
        pd.testing.assert_frame_equal(r.schedule, ref, check_exact=True)
        assert _bits(r.schedule) == _bits(ref)  # signs of zero too
        m = pm.m
        unmet = {c: sum(pyo.value(m.unmet[c, t]) for t in m.T) * m.dh for c in m.C}
        assert r.unmet == {c: e for c, e in unmet.items() if e > 1e-6}
        forms = pm._term_values._forms
        assert forms is not None
        for name, form in forms.items():
            assert form.cols is not None, name  # the fast path is the one taken
            fast, slow = form.value(x), form.value()
            assert np.float64(fast).tobytes() == np.float64(slow).tobytes(), name
            assert r.terms[name] == fast
            assert fast == pytest.approx(pyo.value(getattr(pm.m, f"e_{name}")), abs=1e-7)
        prev = r


def _loads_by_lookup(
    schedule: pd.DataFrame | None, units: list[str], starts: list[Any]
) -> list[list[float | None]]:
    """The previous plan's loads as they were read before: ``asof`` and ``.loc`` each."""
    out = []
    for u in units:
        row: list[float | None] = []
        for s in starts:
            x = None
            col = f"{u}.load"
            if schedule is not None and col in schedule.columns and len(schedule):
                at = schedule.index.asof(pd.Timestamp(s))
                if at is not None and not pd.isna(at):
                    x = float(schedule[col].loc[at])
            row.append(x)
        out.append(row)
    return out


@pytest.mark.parametrize(
    "tz", ["UTC", "UTC-s", "Europe/Berlin", "naive", "unsorted"], ids=lambda z: z.replace("/", "-")
)
def test_planned_loads_equal_the_lookup_per_unit_and_period(tz: str) -> None:
    base = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # Berlin's clock change that night
    starts0 = [base + timedelta(minutes=15 * k) for k in range(6)]
    if tz == "naive":
        starts0 = [s.replace(tzinfo=None) for s in starts0]
    elif tz == "Europe/Berlin":
        starts0 = [s.astimezone(ZoneInfo(tz)) for s in starts0]
    index = pd.DatetimeIndex(starts0, name="period")  # from datetimes: unit "us"
    if tz == "unsorted":
        index = index[[0, 2, 1, 3, 4, 5]]
    if tz == "UTC-s":  # an index in whole seconds, times between its ticks
        index = index.as_unit("s")
    sched = pd.DataFrame(
        {"a.load": [1.0, 2.0, -0.0, 4.0, 5.0, 6.0], "a.on": [1.0] * 6, "b.load": np.arange(6.0)},
        index=index,
    )
    assert (_sorted_instants(sched.index) is not None) is (tz not in ("naive", "unsorted"))
    units = ["a", "b", "c"]  # c has no column: None
    offsets = [timedelta(minutes=m) for m in (-20, 0, 7, 15, 30, 80, 200)]
    offsets += [timedelta(minutes=15, microseconds=-1), timedelta(microseconds=1)]
    for offset in offsets:  # before the plan, on a period's start, just before, between, after
        starts = [s + offset for s in starts0[:3]]
        if tz == "unsorted":
            with pytest.raises(ValueError):  # as pandas' asof: not monotonic
                _loads_by_lookup(sched, units, starts)
            with pytest.raises(ValueError):
                planned_loads(sched, units, starts)
            continue
        want = _loads_by_lookup(sched, units, starts)
        got = planned_loads(sched, units, starts)
        assert got == want
        assert [np.signbit(x) for r in got for x in r if x is not None] == [
            np.signbit(x) for r in want for x in r if x is not None
        ]
    assert planned_loads(None, units, starts0[:2]) == [[None, None]] * 3
    assert planned_loads(sched.iloc[:0], units, starts0[:2]) == [[None, None]] * 3


def test_a_constant_of_params_follows_its_params() -> None:
    m = pyo.ConcreteModel()
    m.T = pyo.Set(initialize=range(3))
    m.p = pyo.Param(m.T, mutable=True, initialize=1.0)
    m.x = pyo.Var(m.T, initialize=2.0)
    form = LinearForm(sum(0.5 * m.p[t] * m.x[t] + 0.25 * m.p[t] * 3 for t in m.T), "t")
    assert form.value() == pytest.approx(3 * 1.0 + 3 * 0.75)
    m.p[1] = 5.0  # the constant (0.25 * p * 3 per t) must follow
    assert form.value() == pytest.approx(pyo.value(form.constant) + 0.5 * 7 * 2.0)
    assert form.value() == pytest.approx(0.5 * 2.0 * 7 + 0.75 * 7)


def test_the_schedule_layout_reads_a_given_vector() -> None:
    """The schedule is read from the vector handed in (not from the variables)."""
    cfg = load_config(ROOT / "config" / "demo.yaml").config  # units and a battery
    pm = PlantModel(cfg)
    pm.update(ModelInputs.from_state_file(ROOT / "config" / "demo-state.json", cfg))
    pm.solve(time_limit_s=20)
    layout = schedule_layout(pm.m, {id(v): c for v, c in pm.solver.columns})
    x = np.arange(float(len(pm.solver.columns))) + 0.4
    frame = schedule_frame(layout, x, pm.starts)
    s = next(iter(pm.m.S))
    col = {id(v): c for v, c in pm.solver.columns}
    dis, ch = col[id(pm.m.dis[s, 1])], col[id(pm.m.ch[s, 1])]
    assert frame[f"{s}.net_discharge"].iloc[1] == x[dis] - x[ch]
    u = next(iter(pm.m.U))
    assert frame[f"{u}.on"].iloc[2] == round(x[col[id(pm.m.on[u, 2])]])
    assert frame[f"{u}.load"].iloc[3] == x[col[id(pm.m.ld[u, 3])]]
    # on/off rounded as Python rounds (half to even), a sliver below 0 read as +0.0
    on = [col[id(pm.m.on[u, t])] for t in range(3)]
    x[on] = [-1e-7, 0.5, 1.5]
    got = schedule_frame(layout, x, pm.starts)[f"{u}.on"].iloc[:3].tolist()
    want = [float(round(v)) for v in (-1e-7, 0.5, 1.5)]
    assert got == want
    assert [np.signbit(v) for v in got] == [np.signbit(v) for v in want] == [False] * 3


def test_the_plan_vector_is_the_plan_as_loaded() -> None:
    """The read-out's vector is taken when the plan is loaded: an array changed by its
    owner afterwards does not make it differ from the variables."""
    cfg = load_config(CASES / "nonconvex_curve" / "config.yaml").config
    pm = PlantModel(cfg)
    pm.update(ModelInputs.from_state_file(CASES / "nonconvex_curve" / "state.json", cfg))
    pm.solve(time_limit_s=20)
    x = pm.solver.plan_vector().copy()
    given = x + 1.0
    pm.solver.load_values(given)
    given[:] = -7.0  # the caller reuses its array
    got = pm.solver.plan_vector()
    assert got.tolist() == (x + 1.0).tolist()
    assert all(var.value == got[col] for var, col in pm.solver.columns)
    pm.solver.load_values((x + 2.0).tolist())  # a list (Pyomo's path)
    assert pm.solver.plan_vector().tolist() == (x + 2.0).tolist()
