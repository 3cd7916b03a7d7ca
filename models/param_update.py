"""This cycle's plant values into the model's Params: unit states and availability, prices,
forecasts, demands, CO2 factors (everything :meth:`PlantModel.update` takes from the plant
and its schedules, before the setpoint limits, the previous plan and compensation)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from models.horizon import outage_free, schedule_values
from models.inputs import ModelInputs
from models.param_tables import ParamTables, all_finite
from models.units import has_timed_availability, initial_state
from optimizer.config.plant import ConverterUnit, GridUnit, RenewableUnit, StorageUnit
from optimizer.config.schema import PlantConfig


@dataclass(frozen=True)
class PlantLayout:
    """What of the model the writes need: converters, periods, each converter's periods
    with min up/down state (ascending), converters with their own CO2 factor."""

    conv: Mapping[str, ConverterUnit]
    steps: int
    early_t: Mapping[str, list[int]]
    uco2: frozenset[str]


def write_plant_params(
    cfg: PlantConfig,
    pt: ParamTables,
    lay: PlantLayout,
    inputs: ModelInputs,
    starts: list[datetime],
) -> None:
    tz = cfg.plant.timezone
    v = inputs.values
    for n, u in lay.conv.items():
        avail = v.get(u.availability_tag, 1.0) if u.availability_tag else 1.0
        pt.avail[n] = 1.0 if avail >= 0.5 else 0.0
        load0 = v[u.load_tag] if u.load_tag else None
        running = (
            (v[u.status_tag] >= 0.5)
            if u.status_tag
            else (load0 is not None and load0 >= 0.5 * u.min_load > 0)
        )
        pt.on0[n] = 1.0 if running else 0.0
        pt.load0[n] = load0 if load0 is not None else 0.0
        pt.ramp0[n] = (u.ramp_up or 1e6) if load0 is not None else 1e6
        pt.ramp0_down[n] = (u.ramp_down or 1e6) if load0 is not None else 1e6
        hours = v[u.time_in_state_tag] if u.time_in_state_tag else None
        must_on, must_off = initial_state(
            u, lay.steps, cfg.cycle.step_minutes, running=running, hours_in_state=hours
        )
        timed = timed_availability(cfg, u, inputs, starts)
        if timed is not None:
            pt.avail_t.set_series(n, timed[: lay.steps])
        for t in lay.early_t[n]:
            up = pt.avail[n] and (timed is None or timed[t])
            pt.must_on[n, t] = must_on[t] if up else 0.0
            pt.must_off[n, t] = must_off[t]
        if u.fuel_price is not None:
            pt.p_own.set_series(n, schedule_values(u.fuel_price, inputs, starts, tz))
        if n in lay.uco2:
            own = u.co2_factor or cfg.co2.factors.get(u.input)
            factors = schedule_values(own, inputs, starts, tz) if own else [0.0] * lay.steps
            pt.co2u.set_series(n, factors[: lay.steps])
    for n, unit in cfg.units.items():
        if isinstance(unit, StorageUnit):
            soc = v[unit.soc_tag] if unit.soc_tag else unit.initial_soc
            assert soc is not None
            soc = min(max(soc, unit.soc_min), unit.soc_max)
            pt.soc0[n] = soc * unit.capacity
            end = soc if unit.terminal_soc == "initial" else (unit.terminal_soc or 0.0)
            pt.soc_end[n] = max(end, unit.soc_min) * unit.capacity
        elif isinstance(unit, GridUnit):
            pi = schedule_values(unit.import_price, inputs, starts, tz)
            pe = (
                schedule_values(unit.export_price, inputs, starts, tz)
                if unit.export_price
                else [0.0] * lay.steps
            )
            pi, pe = pi[: lay.steps], pe[: lay.steps]
            if all_finite(pi, pe):
                pt.p_imp.set_series(n, pi)
                pt.p_exp.set_series(n, pe)
            else:  # refused where the first bad value is, as one by one
                for t in range(lay.steps):
                    pt.p_imp[n, t], pt.p_exp[n, t] = pi[t], pe[t]
            if unit.max_export > 0:  # the either/or only where both at once could pay
                free = [0.0 if pe[t] >= pi[t] or pi[t] < 0 else 1.0 for t in range(lay.steps)]
                pt.gfree.set_series(n, free)
            pt.peak0[n] = v[unit.peak_so_far_tag] if unit.peak_so_far_tag else unit.peak_so_far
        elif isinstance(unit, RenewableUnit):
            fc = schedule_values(unit.forecast, inputs, starts, tz)
            pt.ren_fc.set_series(n, [max(0.0, fc[t]) for t in range(lay.steps)])
    for f, fuel in cfg.tariffs.fuels.items():
        pt.p_fuel.set_series(f, schedule_values(fuel.price, inputs, starts, tz))
    demand = {c: [0.0] * lay.steps for c in cfg.carriers}
    for d in cfg.demands.values():
        for t, x in enumerate(schedule_values(d.forecast, inputs, starts, tz)):
            demand[d.carrier][t] += max(0.0, x)
    for c in cfg.carriers:
        co2 = cfg.co2.factors.get(c)
        factors = schedule_values(co2, inputs, starts, tz) if co2 else [0.0] * lay.steps
        if all_finite(demand[c], factors[: lay.steps]):
            pt.demand.set_series(c, demand[c])
            pt.co2f.set_series(c, factors[: lay.steps])
        else:  # refused where the first bad value is, as one by one
            for t in range(lay.steps):
                pt.demand[c, t] = demand[c][t]
                pt.co2f[c, t] = factors[t]


def timed_availability(
    cfg: PlantConfig, u: ConverterUnit, inputs: ModelInputs, starts: list[datetime]
) -> list[float] | None:
    """1/0 per period from the unit's availability schedule and planned outages."""
    if not has_timed_availability(u):
        return None
    free = outage_free(u.outages, starts, cfg.cycle.step_minutes, cfg.plant.timezone)
    if u.availability is not None:
        sched = schedule_values(u.availability, inputs, starts, cfg.plant.timezone)
        free = [f if a >= 0.5 else 0.0 for f, a in zip(free, sched, strict=True)]
    return free
