"""Short texts an operator can read: why the plan looks the way it does.

Derived from the solution: marginal prices and binding rows from the LP with the binaries
fixed (:mod:`models.marginal`), each unit's marginal cost against its output's price, and
slack inspection for CV limits and MV moves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pyomo.environ as pyo

from models.marginal import Marginals, what_binds
from models.result import RelaxedLimit
from optimizer.config.plant import ConverterUnit

if TYPE_CHECKING:
    from models.plant_model import PlantModel

TOL = 1e-6


def why_texts(
    pm: PlantModel,
    relaxed: Sequence[RelaxedLimit],
    unmet: Mapping[str, float],
    marg: Marginals | None = None,
) -> list[str]:
    """Why the plan looks as it does, read from the solution: marginal prices from the LP
    with the binaries fixed, units against those prices, the limits that bind."""
    m, cfg = pm.m, pm.cfg
    out: list[str] = []
    prices = marg.prices if marg is not None and marg.ok else {}
    binding = marg.binding if marg is not None and marg.ok else {}
    for c, x in unmet.items():
        out.append(
            f"{c}: {x:.3g} {cfg.carriers[c].unit}·h of demand cannot be met over the "
            f"horizon: {_unmet_cause(pm, c, binding)}"
        )
    for r in relaxed:
        out.append(
            f"{r.cv} ({r.tag}) {r.limit} limit given up by {r.by:.3g} (rank {r.rank}): "
            "the limits could not all be met"
        )
    cur = cfg.tariffs.currency
    for c, ps in prices.items():
        if any(abs(p) > TOL for p in ps):
            span = f" ({min(ps):.4g} to {max(ps):.4g} over the horizon)" if len(ps) > 1 else ""
            out.append(f"{c} marginal price {ps[0]:.4g} {cur}/{cfg.carriers[c].unit}·h now{span}")
    for u in m.U:
        out.extend(_unit_texts(pm, u, prices, binding))
    if hasattr(m, "SPU"):
        for n in m.SPU:
            out_by = pyo.value(m.sp_out_lo[n]) + pyo.value(m.sp_out_hi[n])
            if out_by > TOL:
                out.append(
                    f"{n}: the plant cannot follow this cycle's setpoint window "
                    f"[{pyo.value(m.sp_lo[n]):.4g}, {pyo.value(m.sp_hi[n]):.4g}]: the plan is "
                    f"{out_by:.3g} outside it (the write is clamped to the window)"
                )
    for name, (count, first) in binding.items():
        if name in ("c_cap", "c_floor"):
            continue  # told per unit above
        where = ", ".join(_index_text(i) for i in first)
        more = f" and {count - len(first)} more" if count > len(first) else ""
        out.append(f"{what_binds(name)} binds: {where}{more}")
    for g in m.G:
        inc = pyo.value(m.peak_inc[g])
        charge = cfg.units[g].peak_charge  # type: ignore[union-attr]
        if inc > TOL and charge > 0:
            out.append(
                f"{g}: import peak raised by {inc:.3g} above the billing period's peak so far "
                f"(peak charge {charge:g} {cur} a unit)"
            )
    if pm.comp is not None:
        out.extend(_cv_texts(pm, {r.cv for r in relaxed}))
        for k, mv in pm.comp.mvs.items():
            move = pyo.value(m.u[k] - m.u_now[k])
            if abs(move) > TOL and (
                abs(pyo.value(m.u[k]) - pyo.value(m.u_hi[k])) < TOL
                or abs(pyo.value(m.u[k]) - pyo.value(m.u_lo[k])) < TOL
            ):
                out.append(f"{mv.name} moved {move:+.3g} to its limit for this cycle")
            for e in mv.cfg.energy:
                if abs(move) > TOL:
                    out.append(
                        f"{mv.name} move {move:+.3g} changes {e.carrier} demand by "
                        f"{e.per_unit * move:+.3g} {cfg.carriers[e.carrier].unit} per period"
                    )
    return out


def _index_text(idx: object) -> str:
    if isinstance(idx, tuple):
        return " ".join(f"t={x}" if isinstance(x, int) else str(x) for x in idx)
    return "" if idx is None else str(idx)


def _slope(unit: ConverterUnit, load: float, *, up: bool = True) -> float:
    """Input per unit of load on the curve's segment at ``load`` (the one above it if
    ``up``, e.g. for the next unit of load; at max load the last one)."""
    c = unit.curve
    for k in range(len(c) - 1):
        a, b = c[k], c[k + 1]
        if (load < b.load - TOL) if up else (load <= b.load + TOL):
            return (b.input - a.input) / (b.load - a.load)
    a, b = c[-2], c[-1]
    return (b.input - a.input) / (b.load - a.load)


def _unit_texts(
    pm: PlantModel,
    u: str,
    prices: Mapping[str, tuple[float, ...]],
    binding: Mapping[str, tuple[int, tuple[object, ...]]],
) -> list[str]:
    m, unit = pm.m, pm.conv[u]
    on = round(pyo.value(m.on[u, 0]))
    load = pyo.value(m.ld[u, 0])
    out: list[str] = []
    if not on and pyo.value(m.avail[u]) < 0.5:
        return [f"{u} off: not available"]
    if not on and u in pm.m.AVT and pyo.value(m.avail_t[u, 0]) < 0.5:
        return [f"{u} off: not available in this period (availability schedule or outage)"]
    if on and (u, 0) in pm.m.EARLY and pyo.value(m.must_on[u, 0]) > 0.5:
        out.append(f"{u} kept on: minimum up time ({unit.min_up_steps} steps)")
    if unit.output not in prices:
        return out
    p_out = prices[unit.output][0]
    if u in pm.m.OWN:
        p_in = pyo.value(m.p_own[u, 0])
    elif unit.input in prices:
        p_in = prices[unit.input][0]
    else:
        return out
    mc = _slope(unit, load, up=not (on and load >= unit.max_load - TOL)) * p_in
    price = f"{unit.output} price {p_out:.4g}"
    if not on:
        mc0 = _slope(unit, unit.min_load) * p_in
        why = "above" if mc0 > p_out + TOL else "not below"
        out.append(f"{u} off: marginal cost {mc0:.4g} {why} the {price} (or its start is dearer)")
    elif load >= unit.max_load - TOL:
        side = "below" if mc < p_out - TOL else "at or above"
        out.append(f"{u} at max load {unit.max_load:g}: marginal cost {mc:.4g} {side} the {price}")
    elif load <= unit.min_load + TOL:
        out.append(f"{u} at min load {unit.min_load:g}: marginal cost {mc:.4g} vs the {price}")
    elif held := _held_by(u, binding):
        out.append(f"{u} at {load:.4g} held by its {held}: marginal cost {mc:.4g} vs the {price}")
    elif abs(mc - p_out) <= 1e-6 * max(1.0, abs(p_out)):
        out.append(f"{u} sets the {unit.output} price: marginal cost {mc:.4g} = {price}")
    else:  # between its limits at another price: other terms or periods hold it there
        out.append(
            f"{u} at {load:.4g} between its limits: marginal cost {mc:.4g} vs the {price} "
            "(held by plan-change, ramp or later periods)"
        )
    return out


def _held_by(u: str, binding: Mapping[str, tuple[int, tuple[object, ...]]]) -> str:
    """The first-period limit that holds a unit's load, from the binding rows."""
    for name, key in (
        ("c_sp_hi", u),
        ("c_sp_lo", u),
        ("c_ramp_up", (u, 0)),
        ("c_ramp_down", (u, 0)),
    ):
        if name in binding and key in binding[name][1]:
            return what_binds(name)
    return ""


def _unmet_cause(
    pm: PlantModel, c: str, binding: Mapping[str, tuple[int, tuple[object, ...]]]
) -> str:
    m, cfg = pm.m, pm.cfg
    if "c_co2_cap" in binding:
        return "the CO2 cap binds"
    periods = [t for t in m.T if pyo.value(m.unmet[c, t]) > TOL]
    spare = [
        u
        for u in m.U
        if pm.conv[u].output == c
        and pyo.value(m.avail[u]) > 0.5
        and any(pyo.value(m.ld[u, t]) < pm.conv[u].max_load - TOL for t in periods)
    ]
    if spare:
        return (
            f"{', '.join(spare)} could make more, but that costs more than the unmet penalty "
            f"({cfg.carriers[c].unmet_penalty:g} a unit·h) or a limit (ramp, min up/down) stops it"
        )
    return "capacity is short"


def _cv_texts(pm: PlantModel, relaxed: set[str]) -> list[str]:
    """A CV held at a range limit, or left off its target (slack inspection)."""
    assert pm.comp is not None
    m, out = pm.m, []
    for c, cv in pm.comp.cvs.items():
        if cv.name in relaxed:
            continue
        y, cc, unit = pyo.value(m.y[c]), cv.cfg, cv.cfg.unit
        off = pyo.value(m.dlo[c]) + pyo.value(m.dhi[c])
        if cc.target is not None and off > TOL:
            out.append(
                f"{cv.name} predicted {y:.4g} {unit}, {off:.3g} off target {cc.target:g}: "
                "held there by MV limits or higher priorities".replace(" ,", ",")
            )
        for side, lim in (("low", cc.low), ("high", cc.high)):
            if lim is not None and abs(y - lim) < 1e-6 * max(1.0, abs(lim)):
                out.append(
                    f"{cv.name} held at its {side} limit {lim:g} {unit} (rank {cv.cfg.priority})"
                )
    return out
