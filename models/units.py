"""Converter units: on/off, startup, min up/down from the plant's state, ramps, curves.

Curves give input as a piecewise-linear function of load. A convex curve (slopes not
decreasing) is a set of lower bounds plus its chord as upper bound — exact for a two-point
(linear) curve; with more points the input lies between the curve and its chord, and at the
curve whenever input has a positive marginal value (costs money) — no binaries.
A non-convex curve uses the lambda form with one binary per segment, so a cheap-looking
middle segment cannot be used without the load actually being in it.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pyomo.environ as pyo

from optimizer.config.plant import ConverterUnit


def is_convex(u: ConverterUnit) -> bool:
    pts = [(p.load, p.input) for p in u.curve]
    slopes = [(y1 - y0) / (x1 - x0) for (x0, y0), (x1, y1) in itertools.pairwise(pts)]
    return all(b >= a - 1e-12 for a, b in itertools.pairwise(slopes))


def has_timed_availability(u: ConverterUnit) -> bool:
    return u.availability is not None or bool(u.outages)


def curve_coproducts(u: ConverterUnit) -> list[str]:
    """Co-products given on the curve points (shared breakpoints)."""
    return sorted(u.curve[0].coproducts)


def uses_lambda(u: ConverterUnit) -> bool:
    """Lambda form (one binary per segment): a non-convex curve, or co-products with their
    own curve over more than one segment (their exact value needs the segment)."""
    return not is_convex(u) or (bool(curve_coproducts(u)) and len(u.curve) > 2)


def add_converters(m: pyo.ConcreteModel, units: dict[str, ConverterUnit]) -> None:
    T = list(m.T)
    U = sorted(units)
    m.U = pyo.Set(initialize=U, ordered=True)
    m.on = pyo.Var(m.U, m.T, domain=pyo.Binary)
    m.su = pyo.Var(m.U, m.T, domain=pyo.Binary)
    m.sd = pyo.Var(m.U, m.T, bounds=(0, 1))
    m.ld = pyo.Var(m.U, m.T, bounds=(0, None))
    m.inp = pyo.Var(m.U, m.T, bounds=(0, None))
    # state from the plant, updated every cycle
    m.avail = pyo.Param(m.U, mutable=True, initialize=1.0)
    m.on0 = pyo.Param(m.U, mutable=True, initialize=0.0)
    m.load0 = pyo.Param(m.U, mutable=True, initialize=0.0)
    m.ramp0 = pyo.Param(m.U, mutable=True, initialize=1e6)  # ramp-up allowance at t=0
    m.ramp0_down = pyo.Param(m.U, mutable=True, initialize=1e6)  # ramp-down allowance at t=0
    # min up/down from the plant's state only bind in a unit's first periods
    early = [
        (u, t) for u in U for t in T if t < max(units[u].min_up_steps, units[u].min_down_steps)
    ]
    m.EARLY = pyo.Set(initialize=early, dimen=2, ordered=True)
    m.must_on = pyo.Param(m.EARLY, mutable=True, initialize=0.0)
    m.must_off = pyo.Param(m.EARLY, mutable=True, initialize=0.0)

    def cap(mm: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        return mm.ld[u, t] <= units[u].max_load * mm.on[u, t]

    def floor(mm: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        return mm.ld[u, t] >= units[u].min_load * mm.on[u, t]

    m.c_cap = pyo.Constraint(m.U, m.T, rule=cap)
    m.c_floor = pyo.Constraint(m.U, m.T, rule=floor)
    # one constraint per unit: an unavailable unit is off over the whole horizon
    m.c_avail = pyo.Constraint(
        m.U, rule=lambda mm, u: sum(mm.on[u, t] for t in T) <= len(T) * mm.avail[u]
    )
    # availability per period (a schedule or planned outages): only for units that have one
    timed = [u for u in U if has_timed_availability(units[u])]
    m.AVT = pyo.Set(initialize=timed, ordered=True)
    m.avail_t = pyo.Param(m.AVT, m.T, mutable=True, initialize=1.0)
    m.c_avail_t = pyo.Constraint(m.AVT, m.T, rule=lambda mm, u, t: mm.on[u, t] <= mm.avail_t[u, t])
    must_run = [(u, t) for u in U if units[u].must_run for t in T]
    m.MUSTRUN = pyo.Set(initialize=must_run, dimen=2, ordered=True)

    def must_run_rule(mm: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        if u in timed:
            return mm.on[u, t] >= mm.avail[u] * mm.avail_t[u, t]
        return mm.on[u, t] >= mm.avail[u]

    m.c_must_run = pyo.Constraint(m.MUSTRUN, rule=must_run_rule)
    m.c_must_on = pyo.Constraint(m.EARLY, rule=lambda mm, u, t: mm.on[u, t] >= mm.must_on[u, t])
    m.c_must_off = pyo.Constraint(
        m.EARLY, rule=lambda mm, u, t: mm.on[u, t] <= 1 - mm.must_off[u, t]
    )

    def transition(mm: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        prev = mm.on0[u] if t == T[0] else mm.on[u, t - 1]
        return mm.su[u, t] - mm.sd[u, t] == mm.on[u, t] - prev

    m.c_transition = pyo.Constraint(m.U, m.T, rule=transition)
    # without this a running unit could take su = sd = 1 in one period: a free "restart"
    # that lifts its ramp limits (found by the golden case ramp_down_first_period)
    m.c_su_sd = pyo.Constraint(m.U, m.T, rule=lambda mm, u, t: mm.su[u, t] + mm.sd[u, t] <= 1)

    def min_up(mm: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        k = units[u].min_up_steps
        if k <= 1:
            return pyo.Constraint.Skip
        return sum(mm.su[u, s] for s in T if t - k < s <= t) <= mm.on[u, t]

    def min_down(mm: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        k = units[u].min_down_steps
        if k <= 1:
            return pyo.Constraint.Skip
        return sum(mm.sd[u, s] for s in T if t - k < s <= t) <= 1 - mm.on[u, t]

    m.c_min_up = pyo.Constraint(m.U, m.T, rule=min_up)
    m.c_min_down = pyo.Constraint(m.U, m.T, rule=min_down)

    def ramp_up(mm: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        r = units[u].ramp_up
        if r is None:
            return pyo.Constraint.Skip
        if t == T[0]:
            return mm.ld[u, t] - mm.load0[u] <= mm.ramp0[u] + units[u].max_load * mm.su[u, t]
        return mm.ld[u, t] - mm.ld[u, t - 1] <= r + units[u].max_load * mm.su[u, t]

    def ramp_down(mm: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        r = units[u].ramp_down
        if r is None:
            return pyo.Constraint.Skip
        if t == T[0]:
            return mm.load0[u] - mm.ld[u, t] <= mm.ramp0_down[u] + units[u].max_load * mm.sd[u, t]
        return mm.ld[u, t - 1] - mm.ld[u, t] <= r + units[u].max_load * mm.sd[u, t]

    m.c_ramp_up = pyo.Constraint(m.U, m.T, rule=ramp_up)
    m.c_ramp_down = pyo.Constraint(m.U, m.T, rule=ramp_down)
    _add_curves(m, units, U)


def _add_curves(m: pyo.ConcreteModel, units: dict[str, ConverterUnit], U: list[str]) -> None:
    convex = [u for u in U if not uses_lambda(units[u])]
    nonconvex = [u for u in U if u not in convex]

    cuts = [(u, k) for u in convex for k in range(len(units[u].curve) - 1)]
    m.CUT = pyo.Set(initialize=cuts, dimen=2, ordered=True)

    def cut(mm: pyo.ConcreteModel, u: str, k: int, t: int) -> pyo.Expression:
        p0, p1 = units[u].curve[k], units[u].curve[k + 1]
        slope = (p1.input - p0.input) / (p1.load - p0.load)
        return mm.inp[u, t] >= p0.input * mm.on[u, t] + slope * (
            mm.ld[u, t] - p0.load * mm.on[u, t]
        )

    m.c_curve = pyo.Constraint(m.CUT, m.T, rule=cut)

    # input never above the curve either: a two-point curve is then an equality, a convex
    # one is held under its chord (end to end). Off, both read input = 0: an off unit
    # draws nothing, even when its input carrier has a surplus or a negative price.
    def chord(mm: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        p0, p1 = units[u].curve[0], units[u].curve[-1]
        slope = (p1.input - p0.input) / (p1.load - p0.load)
        return mm.inp[u, t] <= p0.input * mm.on[u, t] + slope * (
            mm.ld[u, t] - p0.load * mm.on[u, t]
        )

    m.CONVEX = pyo.Set(initialize=convex, ordered=True)
    m.c_curve_hi = pyo.Constraint(m.CONVEX, m.T, rule=chord)

    pts = [(u, k) for u in nonconvex for k in range(len(units[u].curve))]
    segs = [(u, k) for u in nonconvex for k in range(len(units[u].curve) - 1)]
    m.PT = pyo.Set(initialize=pts, dimen=2, ordered=True)
    m.SEG = pyo.Set(initialize=segs, dimen=2, ordered=True)
    m.lam = pyo.Var(m.PT, m.T, bounds=(0, 1))
    m.seg = pyo.Var(m.SEG, m.T, domain=pyo.Binary)
    NC = pyo.Set(initialize=nonconvex, ordered=True)
    m.NC = NC

    def lam_load(mm: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        c = units[u].curve
        return mm.ld[u, t] == sum(c[k].load * mm.lam[u, k, t] for k in range(len(c)))

    def lam_input(mm: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        c = units[u].curve
        return mm.inp[u, t] == sum(c[k].input * mm.lam[u, k, t] for k in range(len(c)))

    def lam_sum(mm: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        return sum(mm.lam[u, k, t] for k in range(len(units[u].curve))) == mm.on[u, t]

    def seg_sum(mm: pyo.ConcreteModel, u: str, t: int) -> pyo.Expression:
        return sum(mm.seg[u, k, t] for k in range(len(units[u].curve) - 1)) == mm.on[u, t]

    def adjacency(mm: pyo.ConcreteModel, u: str, k: int, t: int) -> pyo.Expression:
        n = len(units[u].curve)
        near = [j for j in (k - 1, k) if 0 <= j < n - 1]
        return mm.lam[u, k, t] <= sum(mm.seg[u, j, t] for j in near)

    m.c_lam_load = pyo.Constraint(m.NC, m.T, rule=lam_load)
    m.c_lam_input = pyo.Constraint(m.NC, m.T, rule=lam_input)
    m.c_lam_sum = pyo.Constraint(m.NC, m.T, rule=lam_sum)
    m.c_seg_sum = pyo.Constraint(m.NC, m.T, rule=seg_sum)
    m.c_adjacency = pyo.Constraint(m.PT, m.T, rule=adjacency)


def initial_state(
    u: ConverterUnit,
    steps: int,
    step_minutes: float,
    *,
    running: bool,
    hours_in_state: float | None,
) -> tuple[list[float], list[float]]:
    """must_on / must_off per period from min up/down and how long the unit has been in
    its present state (unknown: assume long enough)."""
    must_on = [0.0] * steps
    must_off = [0.0] * steps
    if hours_in_state is None:
        return must_on, must_off
    done = math.floor(hours_in_state * 60 / step_minutes + 1e-9)
    need = (u.min_up_steps if running else u.min_down_steps) - done
    for t in range(min(max(need, 0), steps)):
        (must_on if running else must_off)[t] = 1.0
    return must_on, must_off


def coproduct_output(
    m: pyo.ConcreteModel, u: str, unit: ConverterUnit, carrier: str, t: int
) -> Any:
    """A unit's output of a co-product in period t: a fixed ratio of the load, or its own
    curve on the unit's breakpoints (lambda form; linear in load and on for two points)."""
    if carrier in unit.coproducts:
        return unit.coproducts[carrier] * m.ld[u, t]
    c = unit.curve
    if uses_lambda(unit):
        return sum(c[k].coproducts[carrier] * m.lam[u, k, t] for k in range(len(c)))
    v0, v1 = c[0].coproducts[carrier], c[-1].coproducts[carrier]
    slope = (v1 - v0) / (c[-1].load - c[0].load)
    return v0 * m.on[u, t] + slope * (m.ld[u, t] - c[0].load * m.on[u, t])


def coproducts_of(unit: ConverterUnit) -> set[str]:
    return set(unit.coproducts) | set(curve_coproducts(unit))
