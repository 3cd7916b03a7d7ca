"""Short texts an operator can read: why the plan looks the way it does (slack inspection)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pyomo.environ as pyo

from models.result import RelaxedLimit

if TYPE_CHECKING:
    from models.plant_model import PlantModel

TOL = 1e-6


def why_texts(
    pm: PlantModel, relaxed: Sequence[RelaxedLimit], unmet: Mapping[str, float]
) -> list[str]:
    m, cfg = pm.m, pm.cfg
    out: list[str] = []
    for c, x in unmet.items():
        out.append(
            f"{c}: {x:.3g} {cfg.carriers[c].unit}·h of demand cannot be met over the "
            "horizon: capacity is short"
        )
    for r in relaxed:
        out.append(
            f"{r.cv} ({r.tag}) {r.limit} limit given up by {r.by:.3g} (rank {r.rank}): "
            "the limits could not all be met"
        )
    for u in m.U:
        unit = pm.conv[u]
        on = round(pyo.value(m.on[u, 0]))
        load = pyo.value(m.ld[u, 0])
        if on and load >= unit.max_load - TOL:
            out.append(
                f"{u} at max load {unit.max_load:g}: {unit.output} needed beyond the cheaper units"
            )
        if not on and pyo.value(m.avail[u]) < 0.5:
            out.append(f"{u} off: not available")
        if on and pyo.value(m.must_on[u, 0]) > 0.5:
            out.append(f"{u} kept on: minimum up time ({unit.min_up_steps} steps)")
    for g in m.G:
        inc = pyo.value(m.peak_inc[g])
        if inc > TOL:
            out.append(f"{g}: import peak raised by {inc:.3g} above this period's peak")
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
