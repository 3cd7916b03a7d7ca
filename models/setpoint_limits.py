"""Unit setpoints in the plan's first period obey their write limits.

What the cycle writes for a unit's setpoint tag (a converter's load, a storage's net
discharge) goes through the interlocks' output limits: the hard limits and the move limits
from the setpoint as read now. The plan's first period is held in the same window, so the
plan shown (``plantloop solve``) is the plan written (``plantloop run``):

    max(min, current - max_down) <= setpoint(t=0) <= min(max, current + max_up)

Without a current reading (not in the snapshot) only the hard limits apply. A converter the
plan switches off is exempt from the lower side (off is a status decision; its setpoint is
then brought down by the move limits over the next cycles). If the DCS holds the setpoint
outside the limits by more than one move, the window is the current value (as the output
limits hold it). The bounds are mutable Params: no rebuild when readings change. The window
is elastic at a penalty above any plant cost, so a window the plant cannot follow (a full
battery asked to keep charging) never makes the model infeasible.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pyomo.environ as pyo

from models.param_tables import ParamTables
from optimizer.config.plant import ConverterUnit, StorageUnit
from optimizer.config.schema import PlantConfig
from optimizer.config.tags import SetpointLimits

BIG = 1e9  # a window side that does not bind
SP_PENALTY = 1e5  # per setpoint unit outside this cycle's write window


def limited_units(cfg: PlantConfig) -> dict[str, tuple[str, SetpointLimits]]:
    """Converters and storages with a setpoint tag: unit -> (tag, its write limits)."""
    out: dict[str, tuple[str, SetpointLimits]] = {}
    for n, u in cfg.units.items():
        if isinstance(u, ConverterUnit | StorageUnit) and u.setpoint_tag is not None:
            limits = cfg.tags[u.setpoint_tag].setpoint
            if limits is not None:
                out[n] = (u.setpoint_tag, limits)
    return out


def add_setpoint_limits(m: pyo.ConcreteModel, cfg: PlantConfig) -> None:
    units = limited_units(cfg)
    conv = sorted(n for n in units if isinstance(cfg.units[n], ConverterUnit))
    stor = sorted(n for n in units if isinstance(cfg.units[n], StorageUnit))
    m.SPU = pyo.Set(initialize=conv + stor, ordered=True)
    m.sp_lo = pyo.Param(m.SPU, mutable=True, initialize=-BIG)
    m.sp_hi = pyo.Param(m.SPU, mutable=True, initialize=BIG)
    big = {n: cfg.units[n].max_load for n in conv}  # type: ignore[union-attr]

    def value(mm: pyo.ConcreteModel, n: str) -> object:
        if n in big:
            return mm.ld[n, 0]
        return mm.dis[n, 0] - mm.ch[n, 0]

    # elastic: a window the plant cannot follow (a battery that must charge 0.5 but is full,
    # a unit held on by min up time above its window) must not make the model infeasible;
    # leaving the window costs SP_PENALTY a unit, above any plant cost, so it is used only
    # when nothing else works (the write is then clamped by the output limits, as before)
    m.sp_out_lo = pyo.Var(m.SPU, bounds=(0, None))
    m.sp_out_hi = pyo.Var(m.SPU, bounds=(0, None))

    def lower(mm: pyo.ConcreteModel, n: str) -> pyo.Expression:
        if n in big:  # off: 0 >= sp_lo - max_load holds (sp_lo is kept <= max_load)
            return mm.ld[n, 0] - big[n] * mm.on[n, 0] + mm.sp_out_lo[n] >= mm.sp_lo[n] - big[n]
        return value(mm, n) + mm.sp_out_lo[n] >= mm.sp_lo[n]

    m.c_sp_lo = pyo.Constraint(m.SPU, rule=lower)
    m.c_sp_hi = pyo.Constraint(
        m.SPU, rule=lambda mm, n: value(mm, n) - mm.sp_out_hi[n] <= mm.sp_hi[n]
    )
    m.e_penalty.set_value(
        m.e_penalty.expr + sum(SP_PENALTY * (m.sp_out_lo[n] + m.sp_out_hi[n]) for n in m.SPU)
    )


def window(limits: SetpointLimits, current: float | None) -> tuple[float, float]:
    """[low, high] a setpoint may be written to this cycle (as the output limits do)."""
    lo, hi = limits.min, limits.max
    if current is None:
        return lo, hi
    a = max(lo, current - (limits.max_down if limits.max_down is not None else math.inf))
    b = min(hi, current + (limits.max_up if limits.max_up is not None else math.inf))
    if a > b:  # held outside the limits by more than one move: nothing is written
        return current, current
    return a, b


def update_setpoint_limits(
    cfg: PlantConfig,
    units: dict[str, tuple[str, SetpointLimits]],
    pt: ParamTables,
    values: Mapping[str, float],
) -> None:
    """This cycle's windows from the setpoints as read now (``units``: :func:`limited_units`)."""
    for n, (tag, limits) in units.items():
        lo, hi = window(limits, values.get(tag))
        unit = cfg.units[n]
        if isinstance(unit, ConverterUnit):
            lo = min(lo, unit.max_load)
        pt.sp_lo[n], pt.sp_hi[n] = lo, hi
